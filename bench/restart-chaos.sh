#!/usr/bin/env bash
# Kills a real Grid server with -9 (or SIGNAL) and starts it again, ROUNDS times, under HTTP load on a
# web app (through the router) and JDBC-free write load on a Postgres add-on (psql INSERTs
# through DATABASE_URL, each committed before it counts), and reports what survived:
# app containers and data-node containers replaced (goal 0), HTTP errors, and acknowledged
# rows lost (goal 0). Bounded: ROUNDS rounds, each at most 120 s of waiting.
# Usage: bench/restart-chaos.sh [ROUNDS]   (default 3)
#        SIGNAL=TERM stops the server gracefully instead (a restart or an upgrade), which must keep
#        the workloads running just the same.
set -euo pipefail
ROUNDS="${1:-3}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh >/dev/null
[ -f platform/server/target/grid-server.jar ] && [ -f cli/target/grid-cli.jar ] || mvn -B -q -DskipTests install
export GRID_HOME="$(mktemp -d /tmp/grid-chaos-home.XXXXXX)"
export GRID_ETCD_PORT=16379 GRID_API_PORT=16070 GRID_HTTP_PORT=16080 GRID_HTTPS_PORT=-1 GRID_SSH_PORT=16222 \
       GRID_BLOB_PORT=16071 GRID_TCP_PORT_RANGE=16100-16199 GRID_PORT_RANGE=16200-16299 GRID_ROUTER_ADDRESS=127.0.0.1 \
       GRID_HOST_ID="chaos$$" GRID_DOMAIN=chaos.test
STACK="${GRID_STACK_IMAGE:-grid/stack:bookworm-5}"
SERVER=""; LOAD=""
start_server() { java -XX:+UseSerialGC -jar platform/server/target/grid-server.jar >> "$GRID_HOME/grid.log" 2>&1 & SERVER=$!; }
grid() { java -jar cli/target/grid-cli.jar "$@"; }
cleanup() {
  [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null || true
  grid addons:destroy chaos-db --confirm chaos-db >/dev/null 2>&1 || true
  : > "$GRID_HOME/stop-workloads"
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true
  [ -f "$GRID_HOME/etcd.pid" ] && kill "$(cat "$GRID_HOME/etcd.pid")" 2>/dev/null || true
  for c in $(docker ps -aq --filter label=grid.host="$GRID_HOST_ID"); do docker rm -f "$c" >/dev/null 2>&1 || true; done
  docker volume ls -q --filter label=grid.host="$GRID_HOST_ID" | xargs -r docker volume rm >/dev/null 2>&1 || true
  nft delete table inet "grid_$GRID_HOST_ID" 2>/dev/null || true
  rm -rf "$GRID_HOME"
}
trap cleanup EXIT
await_api() { for i in $(seq 1 120); do [ -f "$GRID_HOME/cli.json" ] && grid status >/dev/null 2>&1 && return 0; sleep 1; done; echo "Grid did not answer in 120 s; log: $GRID_HOME/grid.log"; exit 1; }
containers() { docker ps -q --no-trunc --filter label=grid.host="$GRID_HOST_ID" --filter status=running | sort; }
start_server; echo "waiting for Grid (log: $GRID_HOME/grid.log)"; await_api
grid apps:create chaos >/dev/null
grid deploy -a chaos --image "$STACK" --process 'web=node -e "require(\"http\").createServer((q,s)=>s.end(\"ok\")).listen(process.env.PORT)"' >/dev/null
grid ps:scale -a chaos web=2 >/dev/null
grid addons:create postgres -a chaos --name chaos-db >/dev/null
URL=$(grid config:get -a chaos DATABASE_URL)
for i in $(seq 1 120); do psql "$URL" -Atqc 'CREATE TABLE IF NOT EXISTS acked (id int primary key)' >/dev/null 2>&1 && break; sleep 1; done
for i in $(seq 1 120); do [ "$(curl -s -H 'Host: chaos.chaos.test' http://127.0.0.1:$GRID_HTTP_PORT/)" = ok ] && break; sleep 1; done
sleep 5 # the add-on's release settles
# Load: one loop, a request and an INSERT each turn; an id counts once its INSERT returned.
: > "$GRID_HOME/acked"; : > "$GRID_HOME/http"
( n=0; while true; do n=$((n+1))
    c=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H 'Host: chaos.chaos.test' http://127.0.0.1:$GRID_HTTP_PORT/ || true); echo "$c" >> "$GRID_HOME/http"
    psql "$URL" -Atqc "INSERT INTO acked VALUES ($n)" >/dev/null 2>&1 && echo "$n" >> "$GRID_HOME/acked"
    sleep 0.05; done ) & LOAD=$!
before=$(containers); echo "containers before: $(echo "$before" | wc -l)"
for r in $(seq 1 "$ROUNDS"); do
  sleep 5
  kill -"${SIGNAL:-9}" "$SERVER"; wait "$SERVER" 2>/dev/null || true
  t0=$(date +%s.%N); start_server; await_api; t1=$(date +%s.%N)
  sleep 15 # time for the scheduler and the host agent to converge
  now=$(containers)
  replaced=$(comm -23 <(echo "$before") <(echo "$now") | wc -l)
  echo "round $r: API back in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s; containers replaced since the start: $replaced of $(echo "$before" | wc -l)"
done
kill "$LOAD"; LOAD=""
sleep 2
acked=$(wc -l < "$GRID_HOME/acked")
have=$(psql "$URL" -Atqc 'SELECT count(*) FROM acked' 2>/dev/null || echo "?")
lost=$(psql "$URL" -Atqc "SELECT count(*) FROM unnest(ARRAY[$(paste -sd, "$GRID_HOME/acked")]::int[]) a(id) WHERE NOT EXISTS (SELECT 1 FROM acked WHERE acked.id = a.id)" 2>/dev/null || echo "?")
bad=$(grep -vc '^200$' "$GRID_HOME/http" || true)
echo "requests: $(wc -l < "$GRID_HOME/http"), not 200: $bad | rows acknowledged: $acked, in the table: $have, lost: $lost"
