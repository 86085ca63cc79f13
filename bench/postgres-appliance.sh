#!/usr/bin/env bash
# Benchmarks a Postgres add-on of a real Grid (started here with its own GRID_HOME and
# ports, stopped at the end): pgbench -S (read-only, prepared) through the add-on's
# DATABASE_URL (its TCP route: the kernel path where nftables works, see `grid status`)
# against the same primary directly, alternating, ROUNDS times; then prints medians.
# Usage: bench/postgres-appliance.sh [ROUNDS] [SECONDS]   (defaults: 5 rounds of 15 s)
#        GRID_TCP_DATAPATH=proxy measures the route on the router's relay instead.
set -euo pipefail
ROUNDS="${1:-5}"; SECONDS_PER_RUN="${2:-15}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
command -v pgbench >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }
[ -f platform/server/target/grid-server.jar ] && [ -f cli/target/grid-cli.jar ] || mvn -B -q -DskipTests install
export GRID_TCP_DATAPATH="${GRID_TCP_DATAPATH:-auto}"
ADDON=bench-db
. bench/grid-server.sh
grid status | sed -n '/ROUTER/,$p'
grid apps:create bench >/dev/null
grid addons:create postgres -a bench --name bench-db
URL=$(grid config:get -a bench DATABASE_URL)
PRIMARY=$(grid pg:info -a bench --json | python3 -c 'import json,sys; print([n["address"] for n in json.load(sys.stdin)["nodes"] if n["role"]=="primary"][0])')
DIRECT=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(p._replace(netloc=p.netloc.split("@")[0]+"@"+sys.argv[2]).geturl())' "$URL" "$PRIMARY")
echo "route ${URL##*@} -> primary $PRIMARY"
pgbench -i -s 10 -q "$URL" >/dev/null 2>&1
tps() { pgbench -S -M prepared -c 8 -j 2 -T "$SECONDS_PER_RUN" -n "$1" 2>/dev/null | awk '/^tps/ { printf "%d", $3 }'; }
route=(); direct=()
for r in $(seq 1 "$ROUNDS"); do
  d=$(tps "$DIRECT"); t=$(tps "$URL")
  direct+=("$d"); route+=("$t"); echo "round $r: direct $d tps, route $t tps"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
md=$(median "${direct[@]}"); mt=$(median "${route[@]}")
echo "median: direct $md tps, through the route $mt tps, ratio $(python3 -c "print(round($mt/$md, 2))")"
