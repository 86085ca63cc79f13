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
export GRID_HOME="$(mktemp -d /tmp/grid-bench-home.XXXXXX)"
export GRID_ETCD_PORT=17379 GRID_API_PORT=17070 GRID_HTTP_PORT=17080 GRID_HTTPS_PORT=-1 GRID_SSH_PORT=17222 \
       GRID_BLOB_PORT=17071 GRID_TCP_PORT_RANGE=17100-17199 GRID_PORT_RANGE=17200-17299 GRID_ROUTER_ADDRESS=127.0.0.1 \
       GRID_HOST_ID="bench$$"
java -XX:+UseSerialGC -jar platform/server/target/grid-server.jar > "$GRID_HOME/grid.log" 2>&1 &
SERVER=$!
grid() { java -jar cli/target/grid-cli.jar "$@"; }
cleanup() {
  grid addons:destroy bench-kv --confirm bench-kv >/dev/null 2>&1 || true
  kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
  docker volume ls -q --filter label=grid.host="$GRID_HOST_ID" | xargs -r docker volume rm >/dev/null 2>&1 || true
  rm -rf "$GRID_HOME"
}
trap cleanup EXIT
for i in $(seq 1 60); do [ -f "$GRID_HOME/cli.json" ] && grid status >/dev/null 2>&1 && break; sleep 1; done
grid apps:create bench >/dev/null
grid addons:create redis -a bench --as bench-kv
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
