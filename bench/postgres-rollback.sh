#!/usr/bin/env bash
# Times a fork and a rollback of a Postgres add-on of SCALE pgbench scale (70: about 1 GB) on a
# real Grid (started here with its own GRID_HOME and ports, stopped at the end), against the peer
# a Dokku or Flynn user has: pg_dump -Fc of the same database piped into pg_restore of a new
# add-on. Alternating, ROUNDS times; prints each and the medians.
# Usage: bench/postgres-rollback.sh [ROUNDS] [SCALE]   (defaults: 3 rounds, scale 70)
set -euo pipefail
ROUNDS="${1:-3}"; SCALE="${2:-70}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
[ -f platform/server/target/grid-server.jar ] && [ -f cli/target/grid-cli.jar ] || mvn -B -q -DskipTests install
ADDON=bench-db
. bench/grid-server.sh
grid apps:create bench >/dev/null
grid addons:create postgres -a bench --name bench-db
URL=$(grid config:get -a bench DATABASE_URL)
echo "loading pgbench scale $SCALE (waits for the synchronous replica: a few minutes)"
t0=$(date +%s); pgbench -i -s "$SCALE" -q "$URL" >/dev/null 2>&1; echo "loaded in $(( $(date +%s) - t0 )) s: $(psql "$URL" -Atc 'SELECT pg_size_pretty(pg_database_size(current_database()))')"
# The cluster's first base backup was taken when it started, before the load: each copy restores
# it and replays the whole load's WAL from the archive, as a copy of a database loaded since the
# day's backup would.
for i in $(seq 1 120); do grid pg:info -a bench | grep -q "rollback:.*available" && break; sleep 1; done
grid pg:info -a bench | grep rollback
ms() { python3 -c 'import time; print(int(time.time()*1000))'; }
fork=(); rollback=(); peer=()
for r in $(seq 1 "$ROUNDS"); do
  at=$(date -u '+%F %T UTC')
  a=$(ms); grid addons:create postgres -a bench --name "fork-$r" --as "FORK$r" --fork bench-db >/dev/null; f=$(( $(ms) - a ))
  a=$(ms); grid addons:create postgres -a bench --name "back-$r" --as "BACK$r" --rollback bench-db --to "$at" >/dev/null; b=$(( $(ms) - a ))
  a=$(ms); grid addons:create postgres -a bench --name "copy-$r" --as "COPY$r" >/dev/null
  COPY=$(grid config:get -a bench "COPY${r}_URL")
  pg_dump -Fc "$URL" | pg_restore --no-owner --no-privileges --single-transaction -d "$COPY"; p=$(( $(ms) - a ))
  rows=$(psql "$(grid config:get -a bench "FORK${r}_URL")" -Atc 'SELECT count(*) FROM pgbench_accounts')
  for n in fork-$r back-$r copy-$r; do grid addons:destroy "$n" --confirm "$n" >/dev/null; done
  fork+=("$f"); rollback+=("$b"); peer+=("$p")
  echo "round $r: fork $f ms ($rows accounts), rollback $b ms, pg_dump | pg_restore into a new add-on $p ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
mf=$(median "${fork[@]}"); mb=$(median "${rollback[@]}"); mp=$(median "${peer[@]}")
echo "median: fork $mf ms, rollback $mb ms, pg_dump | pg_restore $mp ms; fork / peer $(python3 -c "print(round($mf/$mp, 2))")"
