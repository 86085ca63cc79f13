#!/usr/bin/env bash
# What the Postgres archive costs and what it protects, in one run:
#  1. pgbench's write transactions (TPC-B-like, 8 clients) on two real Grids started here side by
#     side (own GRID_HOMEs and ports, stopped at the end), one with the archive on (WAL to
#     pgBackRest) and one with it off (GRID_PG_ARCHIVE=off), alternating ROUNDS times; medians.
#  2. The recovery point: on the Grid that archives, a writer commits a timestamped row 20 times a
#     second for a random 20-80 s, then every node of the cluster is killed at once. The archive is
#     restored to its end in a scratch server here, as an operator would after losing every node,
#     and the gap between the last commit before the kill and the newest row restored is the
#     committed work lost. RPO_SAMPLES times (the killed nodes restart in between).
# Usage: bench/postgres-archive.sh [ROUNDS] [SECONDS] [RPO_SAMPLES]   (defaults: 5 rounds of 20 s, 3 samples)
set -euo pipefail
ROUNDS="${1:-5}"; SECONDS_PER_RUN="${2:-20}"; RPO_SAMPLES="${3:-3}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
command -v pgbench >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }
[ -f platform/server/target/grid-server.jar ] && [ -f cli/target/grid-cli.jar ] || mvn -B -q -DskipTests install

declare -A HOME_OF PID_OF HOST_OF
# start_grid NAME PORT_PREFIX ARCHIVE: a Grid of its own, its ports PORT_PREFIX + 3 digits.
start_grid() {
  local name=$1 p=$2 home; home="$(mktemp -d /tmp/grid-bench-home.XXXXXX)"
  HOME_OF[$name]=$home; HOST_OF[$name]="bench$name$$"
  ( export GRID_HOME="$home" GRID_ETCD_PORT=${p}379 GRID_API_PORT=${p}070 GRID_HTTP_PORT=${p}080 GRID_HTTPS_PORT=-1 GRID_SSH_PORT=${p}222 \
           GRID_BLOB_PORT=${p}071 GRID_TCP_PORT_RANGE=${p}100-${p}199 GRID_PORT_RANGE=${p}200-${p}299 GRID_ROUTER_ADDRESS=127.0.0.1 \
           GRID_HOST_ID="${HOST_OF[$name]}" GRID_PG_ARCHIVE="$3"
    exec java -XX:+UseSerialGC -jar platform/server/target/grid-server.jar > "$home/grid.log" 2>&1 ) &
  PID_OF[$name]=$!
}
grid() { local name=$1; shift; GRID_HOME="${HOME_OF[$name]}" java -jar cli/target/grid-cli.jar "$@"; }
cleanup() {
  for name in "${!PID_OF[@]}"; do
    grid "$name" addons:destroy bench-db --confirm bench-db >/dev/null 2>&1 || true
    : > "${HOME_OF[$name]}/stop-workloads"
    kill "${PID_OF[$name]}" 2>/dev/null || true; wait "${PID_OF[$name]}" 2>/dev/null || true
    docker ps -aq --filter label=grid.host="${HOST_OF[$name]}" | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker volume ls -q --filter label=grid.host="${HOST_OF[$name]}" | xargs -r docker volume rm >/dev/null 2>&1 || true
    rm -rf "${HOME_OF[$name]}"
  done
  if [ -n "${SCRATCH:-}" ]; then runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$SCRATCH/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
start_grid on 17 on
start_grid off 18 off
declare -A URL_OF
for name in on off; do
  echo "waiting for the Grid with the archive $name to answer (its log: ${HOME_OF[$name]}/grid.log)"
  for i in $(seq 1 90); do [ -f "${HOME_OF[$name]}/cli.json" ] && grid "$name" status >/dev/null 2>&1 && break; sleep 1; done
  grid "$name" apps:create bench >/dev/null
  grid "$name" addons:create postgres -a bench --name bench-db
  URL_OF[$name]=$(grid "$name" config:get -a bench DATABASE_URL)
  pgbench -i -s 10 -q "${URL_OF[$name]}" >/dev/null 2>&1
done
echo "waiting for the archive's first base backup"
for i in $(seq 1 180); do grid on pg:info -a bench | grep -q "rollback:.*available" && break; sleep 1; done
grid on pg:info -a bench | grep rollback
grid off pg:info -a bench | grep rollback || true

tps() { pgbench -c 8 -j 2 -M prepared -T "$SECONDS_PER_RUN" -n "$1" 2>/dev/null | awk '/^tps/ { printf "%d", $3 }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
on=(); off=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then a=$(tps "${URL_OF[on]}"); b=$(tps "${URL_OF[off]}"); else b=$(tps "${URL_OF[off]}"); a=$(tps "${URL_OF[on]}"); fi
  on+=("$a"); off+=("$b"); echo "round $r: archive on $a tps, off $b tps"
done
if [ "$ROUNDS" -gt 0 ]; then
  mon=$(median "${on[@]}"); moff=$(median "${off[@]}")
  echo "median: archive on $mon tps, off $moff tps, on / off $(python3 -c "print(round($mon/$moff, 3))")"
fi

# The recovery point.
URL=${URL_OF[on]}
DB=$(python3 -c 'import sys,urllib.parse as u; print(u.urlsplit(sys.argv[1]).path[1:])' "$URL")
REPO=$(find "${HOME_OF[on]}" -maxdepth 3 -type d -name repo -path '*pgbackrest*' | head -1)
STANZA=$(ls "$REPO/archive" | head -1)
psql "$URL" -qc 'CREATE TABLE IF NOT EXISTS rpo (ts timestamptz)'
echo 'INSERT INTO rpo VALUES (clock_timestamp());' > /tmp/grid-bench-rpo.sql
gaps=()
for s in $(seq 1 "$RPO_SAMPLES"); do
  run=$(( 20 + RANDOM % 61 ))
  start=$(date +%s.%N)
  pgbench -n -c 1 -R 20 -T "$run" -f /tmp/grid-bench-rpo.sql "$URL" >/dev/null 2>&1 || true
  read -r first last < <(psql "$URL" -AtF' ' -c "SELECT extract(epoch FROM min(ts)), extract(epoch FROM max(ts)) FROM rpo WHERE ts > to_timestamp($start)")
  docker ps -q --filter label=grid.host="${HOST_OF[on]}" --filter label=grid.app="grid-postgres-$STANZA" | xargs -r docker kill >/dev/null
  SCRATCH=$(mktemp -d /var/tmp/grid-bench-rpo.XXXXXX); mkdir -p "$SCRATCH/pg" "$SCRATCH/spool"
  # A copy of the repository (root's) that the scratch server's restore_command, as postgres, may read.
  cp -a "$REPO" "$SCRATCH/repo"
  printf '[global]\nrepo1-path=%s/repo\nlog-level-console=warn\nlog-level-file=off\nspool-path=%s/spool\nlock-path=%s/spool\n[%s]\npg1-path=%s/pg\n' \
    "$SCRATCH" "$SCRATCH" "$SCRATCH" "$STANZA" "$SCRATCH" > "$SCRATCH/pgbackrest.conf"
  # --db-include leaves the other tenants' files empty; a database made after the base backup is not in its manifest: the whole cluster then.
  pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza="$STANZA" --db-include="$DB" restore 2>/dev/null \
    || { find "$SCRATCH/pg" -mindepth 1 -delete; pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza="$STANZA" restore; }
  chown -R postgres:postgres "$SCRATCH"; chmod 700 "$SCRATCH/pg"
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$SCRATCH/pg" -w -l "$SCRATCH/pg.log" \
    -o "-c port=5999 -c listen_addresses='' -c unix_socket_directories='$SCRATCH' -c archive_mode=off -c synchronous_standby_names='' -c ssl=off -c hot_standby=on" start >/dev/null \
    || { tail -20 "$SCRATCH/pg.log"; exit 1; }
  for i in $(seq 1 300); do [ "$(runuser -u postgres -- psql -h "$SCRATCH" -p 5999 -d "$DB" -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 1; done
  kept=$(runuser -u postgres -- psql -h "$SCRATCH" -p 5999 -d "$DB" -Atc "SELECT coalesce(extract(epoch FROM max(ts)), 0) FROM rpo")
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$SCRATCH/pg" -m immediate stop >/dev/null; rm -rf "$SCRATCH"; SCRATCH=
  # The span of this sample's commits the archive does not hold (the writes stop between samples).
  gap=$(python3 -c "print(round($last - max($kept, $first - 0.05), 1))"); gaps+=("$gap")
  echo "sample $s: wrote for $run s, every node killed; the archive misses the last $gap s of commits"
  echo "  waiting for the cluster to serve again"
  for i in $(seq 1 180); do psql "$URL" -Atc 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
done
echo "recovery point: median $(median "${gaps[@]}") s of commits lost, max $(printf '%s\n' "${gaps[@]}" | sort -n | tail -1) s (archive_timeout 60 s)"
