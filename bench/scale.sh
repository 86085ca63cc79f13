#!/usr/bin/env bash
# How Grid's control plane grows with apps (issue 19): a Grid server of its own, and N apps with
# one web job each (python3's http.server from the stack image, 32 MB each), for N = 10, 100 and
# 300 in turn (the apps of a step stay for the next). For each N it prints:
#   - converge: from the scale calls until every job is up (registered with discovery, which the
#     host does once the job's port answers), and per job beyond Docker's own start time, which
#     is measured first: the same containers started by `docker run -d`, four at a time (the
#     host agent's four starting threads);
#   - idle: the server's and etcd's CPU (% of one core) and RSS over IDLE_SECONDS (60) once
#     settled (SETTLE_SECONDS, 45, after the last job is up), and etcd's Range requests per second and bytes per second sent to its clients
#     (reads and watch events) over it; and dockerd's CPU over it, the Docker engine answering
#     the host agent;
#   - the scheduler's rounds over the idle window, and how long its placing rounds took.
# Usage: bench/scale.sh [N ...]   (default: 10 100 300); HOLD_SECONDS=S keeps Grid running S
# seconds at the end (to profile it).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
STEPS=("${@:-10 100 300}"); read -r -a STEPS <<< "${STEPS[*]}"
IDLE="${IDLE_SECONDS:-60}"
IMAGE="${GRID_STACK_IMAGE:-grid/stack:bookworm-5}"
WEB='exec python3 -m http.server $PORT'
command -v curl >/dev/null && command -v etcdctl >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl etcd-client >/dev/null; }
[ -f platform/server/target/grid-server.jar ] && [ -f cli/target/grid-cli.jar ] || mvn -B -q -DskipTests package

# Docker's own start time, the peer: the same containers, four at a time, then removed.
DOCKER_N="${DOCKER_N:-40}"
echo "Docker alone: $DOCKER_N containers of $IMAGE started with docker run -d, four at a time"
t0=$(date +%s%N)
seq "$DOCKER_N" | xargs -P4 -I{} docker run -d --label grid-scale-peer=1 --network host --init -m 32m -e PORT=$((22000 + RANDOM % 1000)) \
  "$IMAGE" sh -c "$WEB" > /dev/null
docker_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
docker ps -aq --filter label=grid-scale-peer=1 | xargs -r docker rm -f > /dev/null
docker_per=$(awk -v t="$docker_ms" -v n="$DOCKER_N" 'BEGIN { printf "%.1f", t / n }')
echo "  $docker_ms ms: $docker_per ms per container"

export GRID_PORT_RANGE=21000-21399
. bench/grid-server.sh
URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$GRID_HOME/cli.json")
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$GRID_HOME/cli.json")
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X "$1" "$URL$2" ${3:+-d "$3"} > /dev/null; }
ETCD_PASS=$(cat "$GRID_HOME/etcd-password")
ETCD=http://127.0.0.1:$GRID_ETCD_PORT
up() { ETCDCTL_API=3 etcdctl --endpoints=$ETCD --user "root:$ETCD_PASS" get --prefix /grid/services/ --keys-only 2>/dev/null | grep -c '^/grid/services/s[0-9]*\.web/instances/' || true; }
ETCD_PID=$(pgrep -f "etcd .*--listen-client-urls http://127.0.0.1:$GRID_ETCD_PORT" | head -1)
DOCKERD_PID=$(pgrep -x dockerd | head -1)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t+0 }' /proc/"$1"/stat; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' /proc/"$1"/status; }
# etcd's own counters, from its metrics endpoint: Range requests, and watch streams' events sent.
etcd_metric() { curl -s "$ETCD/metrics" | awk -v m="$1" '$1 ~ m { t += $2 } END { printf "%.0f", t }'; }
ranges() { etcd_metric '^grpc_server_handled_total\{.*grpc_method="Range"'; }
sent() { etcd_metric '^etcd_network_client_grpc_sent_bytes_total'; }
hz=$(getconf CLK_TCK)

made=0
echo "steps: ${STEPS[*]}; job ports $GRID_PORT_RANGE; idle window ${IDLE}s"
for n in "${STEPS[@]}"; do
  echo "== N=$n: creating apps s$((made + 1))..s$n"
  for i in $(seq $((made + 1)) "$n"); do
    api POST /apps "{\"name\":\"s$i\"}"
    api POST /apps/s$i/releases "{\"image\":\"$IMAGE\",\"processes\":{\"web\":{\"command\":\"$WEB\",\"memoryMb\":32}},\"env\":{}}"
  done
  log_mark=$(wc -l < "$GRID_HOME/grid.log")
  t0=$(date +%s%N)
  # Eight calls at a time, as a deploy script would make them: the API's own latency is printed apart.
  seq $((made + 1)) "$n" | xargs -P8 -I{} curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -X PATCH "$URL/apps/s{}/formation" -d '{"processes":{"web":1}}' > "$GRID_HOME/calls.txt"
  scaled_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  call_ms=$(sort -g "$GRID_HOME/calls.txt" | awk '{ a[NR] = $1 } END { printf "%.0f", a[int((NR + 1) / 2)] * 1000 }')
  echo "  scale calls for $((n - made)) apps, eight at a time: $scaled_ms ms (each $call_ms ms, median); waiting for $n jobs to be up"
  while [ "$(up)" -lt "$n" ]; do
    [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 600 ] || { echo "  only $(up) of $n up after 600 s; log tail:"; tail -5 "$GRID_HOME/grid.log"; exit 1; }
    sleep 0.2
  done
  conv_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  new=$((n - made)); made=$n
  per=$(awk -v t="$conv_ms" -v n="$new" 'BEGIN { printf "%.1f", t / n }')
  beyond=$(awk -v p="$per" -v d="$docker_per" 'BEGIN { printf "%.1f", p - d }')
  echo "  converge: $new new jobs up in $conv_ms ms: $per ms per job, $beyond ms per job beyond Docker's own ($docker_per)"
  sleep "${SETTLE_SECONDS:-45}" # settle: the last registrations, readiness checks, the JIT compiling what they ran
  s0=$(cpu_ticks "$SERVER"); e0=$(cpu_ticks "$ETCD_PID"); d0=$(cpu_ticks "$DOCKERD_PID"); r0=$(ranges); b0=$(sent); l0=$(wc -l < "$GRID_HOME/grid.log")
  sleep "$IDLE"
  s1=$(cpu_ticks "$SERVER"); e1=$(cpu_ticks "$ETCD_PID"); d1=$(cpu_ticks "$DOCKERD_PID"); r1=$(ranges); b1=$(sent)
  rounds=$(tail -n +$((l0 + 1)) "$GRID_HOME/grid.log" | grep -c 'scheduler .*: placed' || true)
  awk -v s=$((s1 - s0)) -v e=$((e1 - e0)) -v d=$((d1 - d0)) -v r=$((r1 - r0)) -v b=$((b1 - b0)) -v hz="$hz" -v t="$IDLE" -v srss="$(rss_mb "$SERVER")" -v erss="$(rss_mb "$ETCD_PID")" -v n="$n" 'BEGIN {
    printf "  idle, N=%d: server %.2f %% of a core, RSS %s MB | etcd %.2f %% of a core, RSS %s MB | etcd: %.1f Range requests/s, %.1f KB/s to its clients\n",
      n, s / hz / t * 100, srss, e / hz / t * 100, erss, r / t, b / t / 1024
    printf "  idle, N=%d: dockerd (what the host agent asks of it) %.2f %% of a core\n", n, d / hz / t * 100 }'
  echo "  scheduler rounds that placed or stopped in the idle window: $rounds"
  tail -n +$((log_mark + 1)) "$GRID_HOME/grid.log" | grep -o "a plan of [0-9]* jobs in [0-9.]* ms" | tail -3 | sed 's/^/  scheduler: /' || true
done
[ -z "${HOLD_SECONDS:-}" ] || { echo "holding $HOLD_SECONDS s: server pid $SERVER, etcd pid $ETCD_PID, GRID_HOME $GRID_HOME"; sleep "$HOLD_SECONDS"; }
echo "done; stopping Grid and its $made jobs"
