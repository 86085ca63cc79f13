#!/usr/bin/env bash
# Benchmarks a Redis add-on of a real Grid (started here with its own GRID_HOME and
# ports, stopped at the end): redis-benchmark through the add-on's TCP route (REDIS_URL)
# against the same primary directly, alternating, ROUNDS times; then prints medians.
# Usage: bench/redis-appliance.sh [ROUNDS] [REQUESTS]   (defaults: 3 rounds of 100000)
set -euo pipefail
ROUNDS="${1:-3}"; REQUESTS="${2:-100000}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
command -v redis-benchmark >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-tools >/dev/null; }
[ -f platform/server/target/grid-server.jar ] && [ -f cli/target/grid-cli.jar ] || mvn -B -q -DskipTests install
ADDON=bench-kv
. bench/grid-server.sh
grid apps:create bench >/dev/null
grid addons:create redis -a bench --name bench-kv
ROUTE_PORT=$(grid config:get -a bench REDIS_PORT)
export REDISCLI_AUTH=$(grid config:get -a bench REDIS_PASSWORD)
PRIMARY=$(grid redis:info -a bench --json | python3 -c 'import json,sys; print([n["address"] for n in json.load(sys.stdin)["nodes"] if n["role"]=="primary"][0])')
echo "route 127.0.0.1:$ROUTE_PORT -> primary $PRIMARY"
ops() { redis-benchmark -h "$1" -p "$2" -a "$REDISCLI_AUTH" -t set,get -n "$REQUESTS" -c 50 -q 2>/dev/null \
          | tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests per second' | sed -E 's/.*: ([0-9.]+) requests.*/\1/' | awk '{s+=$1} END {printf "%d", s/NR}'; }
route=(); direct=()
for r in $(seq 1 "$ROUNDS"); do
  d=$(ops "${PRIMARY%:*}" "${PRIMARY#*:}"); t=$(ops 127.0.0.1 "$ROUTE_PORT")
  direct+=("$d"); route+=("$t"); echo "round $r: direct $d ops/s, route $t ops/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
md=$(median "${direct[@]}"); mt=$(median "${route[@]}")
echo "median: direct $md ops/s, through the route $mt ops/s, ratio $(python3 -c "print(round($mt/$md, 2))")"
