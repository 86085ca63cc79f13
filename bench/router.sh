#!/usr/bin/env bash
# Benchmarks Grid's router against its peers, in one run, on loopback:
#   HTTP: wrk through Grid's router vs through nginx (reverse proxy with upstream
#         keep-alive), both in front of the same nginx backend.
#   TCP:  redis-benchmark through a Grid TCP route vs straight to redis-server.
# Rounds alternate between the contenders; medians and ratios are printed.
# Usage: bench/router.sh [ROUNDS] [SECONDS]   (defaults: 3 rounds of 30 s)
#        BENCH_PARTS=http (or tcp) runs only that half.
set -euo pipefail
ROUNDS="${1:-3}"; SECONDS_PER_RUN="${2:-30}"; CONNS=64; THREADS=2
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
WORK="$(mktemp -d /tmp/grid-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

need=()
for c in wrk:wrk /usr/lib/nginx/modules/ngx_stream_module.so:libnginx-mod-stream nginx:nginx-light redis-server:redis-server redis-benchmark:redis-tools etcdctl:etcd-client etcd:etcd-server; do
  command -v "${c%%:*}" >/dev/null || [ -e "${c%%:*}" ] || need+=("${c##*:}")
done
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
[ -f "$ROOT/platform/server/target/grid-server.jar" ] || (cd "$ROOT" && mvn -B -q -DskipTests package)

BACKEND=18081 NGINX=18080 ROUTER=18090 ETCD=18379 REDIS=18479 TCPROUTE=18480 NGINXTCP=18481
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 128; }
  server { listen 127.0.0.1:$BACKEND; location / { return 200 "hello from the backend\n"; } }
  server {
    listen 127.0.0.1:$NGINX;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host; }
  }
}
stream { server { listen 127.0.0.1:$NGINXTCP; proxy_pass 127.0.0.1:$REDIS; } }
NGINX
nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)

etcd --data-dir "$WORK/etcd" --listen-client-urls http://127.0.0.1:$ETCD --advertise-client-urls http://127.0.0.1:$ETCD \
  --listen-peer-urls http://127.0.0.1:$((ETCD+1)) --initial-advertise-peer-urls http://127.0.0.1:$((ETCD+1)) \
  --initial-cluster default=http://127.0.0.1:$((ETCD+1)) > "$WORK/etcd.log" 2>&1 & pids+=($!)
redis-server --port $REDIS --bind 127.0.0.1 --save '' --appendonly no --daemonize no > "$WORK/redis.log" 2>&1 & pids+=($!)
for i in $(seq 50); do ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD endpoint health >/dev/null 2>&1 && break; sleep 0.2; done

put() { ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD put "/grid/$1" "$2" >/dev/null; }
put routes/bench '{"id":"bench","type":"HTTP","host":"bench.test","path":"/","service":"bench-web","port":0,"leader":false}'
put services/bench-web/instances/b1 "{\"service\":\"bench-web\",\"id\":\"b1\",\"address\":\"127.0.0.1\",\"port\":$BACKEND,\"jobId\":\"b1\",\"hostId\":\"bench\"}"
put routes/bench-tcp "{\"id\":\"bench-tcp\",\"type\":\"TCP\",\"service\":\"bench-redis\",\"port\":$TCPROUTE,\"leader\":true}"
put services/bench-redis/instances/r1 "{\"service\":\"bench-redis\",\"id\":\"r1\",\"address\":\"127.0.0.1\",\"port\":$REDIS,\"jobId\":\"r1\",\"hostId\":\"bench\"}"

# The router alone, with the same JVM flags `grid up` uses.
GRID_HOME="$WORK/home" GRID_ETCD=http://127.0.0.1:$ETCD GRID_ROLES=router GRID_ROUTER_ADDRESS=127.0.0.1 \
  GRID_HTTP_PORT=$ROUTER GRID_HTTPS_PORT=-1 \
  java -XX:+UseSerialGC -Xss512k -XX:MaxRAM=1g -Dio.netty.leakDetection.level=disabled ${ROUTER_JAVA_OPTS:-} -jar "$ROOT/platform/server/target/grid-server.jar" > "$WORK/router.log" 2>&1 & pids+=($!)
for i in $(seq 100); do curl -s -o /dev/null -H 'Host: bench.test' http://127.0.0.1:$ROUTER/ && break; sleep 0.2; done
for i in $(seq 50); do redis-cli -p $TCPROUTE ping >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf -H 'Host: bench.test' http://127.0.0.1:$ROUTER/ >/dev/null || { echo "router not answering; log:"; tail -20 "$WORK/router.log"; exit 1; }
curl -sf http://127.0.0.1:$NGINX/ >/dev/null || { echo "nginx not answering"; exit 1; }

# Warm-up, not counted: 15 s each, enough for the JIT (5 s left the first Grid round cold).
wrk -t$THREADS -c$CONNS -d15s -H 'Host: bench.test' http://127.0.0.1:$ROUTER/ >/dev/null
wrk -t$THREADS -c$CONNS -d15s http://127.0.0.1:$NGINX/ >/dev/null

run_wrk() { # url host -> "rps p99_ms non2xx"
  wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s --latency -H "Host: $2" "$1" | awk '
    /Requests\/sec/ { rps=$2 }
    /^ +99%/ { v=$2; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } p99=v }
    /Non-2xx/ { bad=$NF }
    END { printf "%s %s %s\n", rps, p99, (bad==""?0:bad) }'
}
median() { sort -g | awk '{a[NR]=$1} END { print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }

PARTS="${BENCH_PARTS:-http tcp}"
if [[ " $PARTS " == *" http "* ]]; then
echo "HTTP: wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s, $ROUNDS alternating rounds"
: > "$WORK/grid.txt"; : > "$WORK/nginx.txt"
for r in $(seq "$ROUNDS"); do
  g=$(run_wrk http://127.0.0.1:$ROUTER/ bench.test); echo "  round $r grid:  rps p99ms non2xx = $g"; echo "$g" >> "$WORK/grid.txt"
  n=$(run_wrk http://127.0.0.1:$NGINX/ bench.test); echo "  round $r nginx: rps p99ms non2xx = $n"; echo "$n" >> "$WORK/nginx.txt"
done
g_rps=$(cut -d' ' -f1 "$WORK/grid.txt" | median); n_rps=$(cut -d' ' -f1 "$WORK/nginx.txt" | median)
g_p99=$(cut -d' ' -f2 "$WORK/grid.txt" | median); n_p99=$(cut -d' ' -f2 "$WORK/nginx.txt" | median)
echo "HTTP median: grid $g_rps req/s p99 ${g_p99} ms | nginx $n_rps req/s p99 ${n_p99} ms | req/s ratio $(awk -v a="$g_rps" -v b="$n_rps" 'BEGIN{printf "%.2f", a/b}') | p99 ratio $(awk -v a="$g_p99" -v b="$n_p99" 'BEGIN{printf "%.2f", a/b}')"

fi
if [[ " $PARTS " == *" tcp "* ]]; then
echo "TCP: redis-benchmark -t set,get -n 200000 -c 50, $ROUNDS alternating rounds (nginx stream proxy as the peer proxy)"
: > "$WORK/route.txt"; : > "$WORK/direct.txt"; : > "$WORK/nstream.txt"
rb() { redis-benchmark -p "$1" -t set,get -n 200000 -c 50 -q 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ { for (i=1;i<=NF;i++) if ($i ~ /^[0-9.]+$/) { s+=$i; n++; break } } END { printf "%.0f\n", s/n }'; }
for r in $(seq "$ROUNDS"); do
  a=$(rb $TCPROUTE); echo "  round $r grid route:   $a ops/s (mean of SET and GET)"; echo "$a" >> "$WORK/route.txt"
  c=$(rb $NGINXTCP); echo "  round $r nginx stream: $c ops/s"; echo "$c" >> "$WORK/nstream.txt"
  b=$(rb $REDIS); echo "  round $r direct:       $b ops/s"; echo "$b" >> "$WORK/direct.txt"
done
a=$(median < "$WORK/route.txt"); b=$(median < "$WORK/direct.txt"); c=$(median < "$WORK/nstream.txt")
echo "TCP median: grid route $a ops/s | nginx stream $c ops/s | direct $b ops/s | grid/direct $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}') | nginx/direct $(awk -v a="$c" -v b="$b" 'BEGIN{printf "%.2f", a/b}')"
fi
