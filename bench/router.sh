#!/usr/bin/env bash
# Benchmarks Grid's router against its peers, in one run, on loopback:
#   HTTP: wrk through Grid's router vs through nginx and HAProxy as reverse proxies (their own
#         processes, upstream keep-alive), all in front of the same nginx backend. The peers
#         add what a PaaS router adds to each request, as Grid's router does: X-Forwarded-For,
#         -Proto and -Port, X-Request-Start (the headers Dokku's nginx sets) and X-Request-Id.
#         BENCH_PEERS=plain runs them without (the comparison before session 31).
#         For reference it also runs nginx proxying from inside the backend's own
#         worker processes: one process then serves both sides of the hop, which
#         no real deployment has (apps are processes of their own).
#   TCP:  redis-benchmark straight to redis-server, through a Grid TCP route on the kernel
#         path (nftables DNAT: no proxy process at all), through a route on Grid's relay (a
#         second router, GRID_TCP_DATAPATH=proxy, with routes of its own under another etcd
#         prefix), and through the peer proxies nginx stream and HAProxy mode tcp.
# Rounds alternate between the contenders; medians and ratios are printed, and
# for the two proxies their own CPU time per request (all their threads).
# Usage: bench/router.sh [ROUNDS] [SECONDS]   (defaults: 5 rounds of 30 s)
#        BENCH_PARTS=http (or tcp) runs only that half; BENCH_PARTS=firewall measures the router
#        with and without a host's firewall table, alternating; BENCH_PARTS=slow measures Grid's
#        router and nginx under SLOW_READERS (20) clients reading a 1 GiB answer at 100 KiB/s:
#        each proxy's RSS growth and wrk's latency for other clients meanwhile (SECONDS each).
#        BENCH_PARTS=h2 measures HTTP/2 over TLS with h2load (H2_CONNS connections, 16, of
#        H2_STREAMS concurrent streams, 10): Grid's TLS port against nginx's `listen ssl http2`,
#        both proxying to the same backend over HTTP/1.1 keep-alive.
#        GRID_ROUTER_TRANSPORT=epoll (or io_uring, nio) measures the router on that transport
#        instead of the one it picks by itself (auto).
#        BENCH_PARTS=hold keeps everything up, warmed up, for HOLD seconds (600) and prints the
#        proxies' PIDs and ports, for measurements by hand (bench/schedstat.sh, perf).
#        BENCH_PARTS=accesslog measures what Grid's access lines cost: two routers side by side,
#        lines on (ACCESS_LOGS) in one and off in the other, under two wrk at once.
#        ROUTER_GC replaces the router's collector flags (default: grid up's, -XX:+UseSerialGC -Xmn48m).
#        ACCESS_LOGS=on (the default) has every HTTP proxy keep an access line per request as it
#        does by default in production: Grid's router in its per-app memory ring
#        (GRID_ROUTER_ACCESS_LOG), nginx to a file (its default combined format), HAProxy to
#        stdout, a file (option httplog). ACCESS_LOGS=off turns all of them off.
# HTTP also runs Grid's router with a host's firewall table loaded (the one FirewallRules
# makes for a host of this machine), in the same alternating rounds: every packet of the
# router, the backend and wrk then passes the table's first rule.
set -euo pipefail
ROUNDS="${1:-5}"; SECONDS_PER_RUN="${2:-30}"; CONNS=64; THREADS=2
ACCESS_LOGS="${ACCESS_LOGS:-on}"
case "$ACCESS_LOGS" in on|off) ;; *) echo "ACCESS_LOGS must be on or off, not '$ACCESS_LOGS'" >&2; exit 2;; esac
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
WORK="$(mktemp -d /tmp/grid-bench.XXXXXX)"
pids=()
FW_TABLE=grid_bench_router
cleanup() { : > "$WORK/home/stop-workloads" 2>/dev/null || true; : > "$WORK/relayhome/stop-workloads" 2>/dev/null || true # a full stop: the kernel routes go
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; nft delete table inet $FW_TABLE 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

need=()
for c in h2load:nghttp2-client openssl:openssl haproxy:haproxy nft:nftables wrk:wrk /usr/lib/nginx/modules/ngx_stream_module.so:libnginx-mod-stream nginx:nginx-light redis-server:redis-server redis-benchmark:redis-tools etcdctl:etcd-client etcd:etcd-server; do
  command -v "${c%%:*}" >/dev/null || [ -e "${c%%:*}" ] || need+=("${c##*:}")
done
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
# GRID_JAR=PATH measures another build of Grid (an earlier commit's, say) in the same setup.
JAR="${GRID_JAR:-$ROOT/platform/server/target/grid-server.jar}"
# RELAY_JAR=PATH runs the second router (the relay's, the second of BENCH_PARTS=accesslog) from
# another build: with ACCESS_LOGS=off, accesslog then measures what a change costs, side by side.
RELAY_JAR="${RELAY_JAR:-$JAR}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -DskipTests package)

BACKEND=18081 NGINX=18080 NGINXSAME=18082 ROUTER=18090 ETCD=18379 REDIS=18479 TCPROUTE=18480 NGINXTCP=18481
RELAY=18091 RELAYROUTE=18490 HAPROXYTCP=18482 ROUTERTLS=18443 NGINXTLS=18444 HAPROXYHTTP=18083
mkdir -p "$WORK/backend" "$WORK/nginx"
truncate -s 1G "$WORK/backend/big.bin" # sparse: the answer of the slow readers' requests
chmod 755 "$WORK" "$WORK/backend"; chmod 644 "$WORK/backend/big.bin" # nginx's workers read it as their own user
nginx_head() { # dir: the settings both nginx instances share
  printf 'worker_processes auto;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\nevents { worker_connections 4096; }\n' "$1" "$1"
}
# nginx's certificate for HTTP/2: self-signed RSA 2048, as Grid's router's default certificate is.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench.test -keyout "$WORK/nginx/tls.key" -out "$WORK/nginx/tls.crt" 2>/dev/null
# What a PaaS router adds to each request (Grid's router always does): the peers do the same
# work unless BENCH_PEERS=plain.
paas_headers_nginx() {
  [ "${BENCH_PEERS:-paas}" = plain ] || echo 'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Port $server_port; proxy_set_header X-Request-Start "t=${msec}"; proxy_set_header X-Request-Id $request_id;'
}
paas_headers_haproxy() {
  [ "${BENCH_PEERS:-paas}" = plain ] || printf '  option forwardfor\n  http-request set-header X-Forwarded-Proto http\n  http-request set-header X-Forwarded-Port %%[dst_port]\n  http-request set-header X-Request-Start t=%%[date(0,ms)]\n  unique-id-format %%[uuid]\n  unique-id-header X-Request-Id\n'
}
proxy_server() { # port [tls]: a reverse proxy to the backend, with upstream keep-alive; with tls also HTTP/2 on $NGINXTLS
  local tls=""
  # keepalive_requests: nginx ends a connection after 1000 requests by default (HTTP/2 too, with
  # GOAWAY), which h2load does not survive; Grid's router sets no such limit.
  [ "${2:-}" != tls ] || tls="listen 127.0.0.1:$NGINXTLS ssl http2; ssl_certificate $WORK/nginx/tls.crt; ssl_certificate_key $WORK/nginx/tls.key; keepalive_requests 100000000;"
  # /big is the slow readers' answer: nginx streams it through its memory buffers, as Grid's
  # router does, rather than spooling up to 1 GiB per client to temporary files (its default).
  cat <<NGINX
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 128; }
  server {
    listen 127.0.0.1:$1;
    $tls
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host; $(paas_headers_nginx) }
    location /big { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_max_temp_file_size 0; }
  }
NGINX
}
# The backend: its own nginx, as an app is its own process. It also hosts the reference
# proxy that runs inside the backend's workers ($NGINXSAME).
{ nginx_head "$WORK/backend"
  echo 'http {'; echo '  access_log off;'
  echo "  server { listen 127.0.0.1:$BACKEND; location / { return 200 \"hello from the backend\\n\"; } location = /big { alias $WORK/backend/big.bin; } }"
  proxy_server $NGINXSAME; echo '}'; } > "$WORK/backend/nginx.conf"
# The peer: nginx as a reverse proxy in its own processes, as Grid's router is.
{ echo 'load_module /usr/lib/nginx/modules/ngx_stream_module.so;'; nginx_head "$WORK/nginx"
  echo 'http {'; if [ "$ACCESS_LOGS" = on ]; then echo "  access_log $WORK/nginx/access.log;"; else echo '  access_log off;'; fi
  proxy_server $NGINX tls; echo '}'
  echo "stream { server { listen 127.0.0.1:$NGINXTCP; proxy_pass 127.0.0.1:$REDIS; } }"; } > "$WORK/nginx/nginx.conf"
nginx -c "$WORK/backend/nginx.conf" -g 'daemon off;' & pids+=($!)
nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' & pids+=($!); NGINX_PID=$!

etcd --data-dir "$WORK/etcd" --listen-client-urls http://127.0.0.1:$ETCD --advertise-client-urls http://127.0.0.1:$ETCD \
  --listen-peer-urls http://127.0.0.1:$((ETCD+1)) --initial-advertise-peer-urls http://127.0.0.1:$((ETCD+1)) \
  --initial-cluster default=http://127.0.0.1:$((ETCD+1)) > "$WORK/etcd.log" 2>&1 & pids+=($!)
redis-server --port $REDIS --bind 127.0.0.1 --save '' --appendonly no --daemonize no > "$WORK/redis.log" 2>&1 & pids+=($!)
for i in $(seq 50); do ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD endpoint health >/dev/null 2>&1 && break; sleep 0.2; done

put() { ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD put "${PREFIX:-/grid/}$1" "$2" >/dev/null; }
put routes/bench '{"id":"bench","type":"HTTP","host":"bench.test","path":"/","service":"bench.web","port":0,"leader":false}'
put routes/bench-ip '{"id":"bench-ip","type":"HTTP","host":"127.0.0.1","path":"/","service":"bench.web","port":0,"leader":false}' # h2load names the address
put services/bench.web/instances/b1 "{\"service\":\"bench.web\",\"id\":\"b1\",\"address\":\"127.0.0.1\",\"port\":$BACKEND,\"jobId\":\"b1\",\"hostId\":\"bench\"}"
put routes/bench-tcp "{\"id\":\"bench-tcp\",\"type\":\"TCP\",\"service\":\"bench-redis\",\"port\":$TCPROUTE,\"leader\":true}"
put services/bench-redis/instances/r1 "{\"service\":\"bench-redis\",\"id\":\"r1\",\"address\":\"127.0.0.1\",\"port\":$REDIS,\"jobId\":\"r1\",\"hostId\":\"bench\"}"
# The relay's own Grid (another prefix): the same backend behind a route that a router with GRID_TCP_DATAPATH=proxy serves.
PREFIX=/gridrelay/ put routes/bench-tcp "{\"id\":\"bench-tcp\",\"type\":\"TCP\",\"service\":\"bench-redis\",\"port\":$RELAYROUTE,\"leader\":true}"
PREFIX=/gridrelay/ put routes/bench '{"id":"bench","type":"HTTP","host":"bench.test","path":"/","service":"bench.web","port":0,"leader":false}'
PREFIX=/gridrelay/ put services/bench.web/instances/b1 "{\"service\":\"bench.web\",\"id\":\"b1\",\"address\":\"127.0.0.1\",\"port\":$BACKEND,\"jobId\":\"b1\",\"hostId\":\"bench\"}"
PREFIX=/gridrelay/ put services/bench-redis/instances/r1 "{\"service\":\"bench-redis\",\"id\":\"r1\",\"address\":\"127.0.0.1\",\"port\":$REDIS,\"jobId\":\"r1\",\"hostId\":\"bench\"}"

# The router alone, with the same JVM flags `grid up` uses (cli's Lifecycle: keep them alike).
GRID_HOME="$WORK/home" GRID_ETCD=http://127.0.0.1:$ETCD GRID_ROLES=router GRID_ROUTER_ADDRESS=127.0.0.1 GRID_ROUTER_ACCESS_LOG=$ACCESS_LOGS \
  GRID_HTTP_PORT=$ROUTER GRID_HTTPS_PORT=$ROUTERTLS GRID_ROUTER_TRANSPORT="${GRID_ROUTER_TRANSPORT:-auto}" \
  java ${ROUTER_GC:--XX:+UseSerialGC -Xmn48m} -Xss512k -XX:MaxRAM=1g -Dio.netty.leakDetection.level=disabled ${ROUTER_JAVA_OPTS:-} -jar "$JAR" > "$WORK/router.log" 2>&1 & pids+=($!); ROUTER_PID=$!
GRID_HOME="$WORK/relayhome" GRID_ETCD=http://127.0.0.1:$ETCD GRID_PREFIX=/gridrelay/ GRID_ROLES=router GRID_ROUTER_ADDRESS=127.0.0.1 \
  GRID_HTTP_PORT=$RELAY GRID_HTTPS_PORT=-1 GRID_ROUTER_TRANSPORT="${GRID_ROUTER_TRANSPORT:-auto}" GRID_TCP_DATAPATH=proxy GRID_ROUTER_ACCESS_LOG=off \
  java -XX:+UseSerialGC -Xss512k -XX:MaxRAM=1g -Xmn48m -Dio.netty.leakDetection.level=disabled ${ROUTER_JAVA_OPTS:-} -jar "$RELAY_JAR" > "$WORK/relay.log" 2>&1 & pids+=($!); RELAY_PID=$!
# HAProxy: the TCP peer, and the HTTP peer (keep-alive to the backend, connections reused by any client).
{ printf 'global\n  maxconn 4096\n  nbthread 2\n'; [ "$ACCESS_LOGS" = off ] || printf '  log stdout format raw local0\n'
  printf 'defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n  timeout server 1h\n'
  printf 'listen redis\n  bind 127.0.0.1:%s\n  server r 127.0.0.1:%s\n' $HAPROXYTCP $REDIS
  printf 'listen web\n  mode http\n  bind 127.0.0.1:%s\n  option http-keep-alive\n  http-reuse always\n' $HAPROXYHTTP
  [ "$ACCESS_LOGS" = off ] || printf '  log global\n  option httplog\n'
  paas_headers_haproxy
  printf '  server b 127.0.0.1:%s\n' $BACKEND; } > "$WORK/haproxy.cfg"
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 & pids+=($!); HAPROXY_PID=$!
for i in $(seq 100); do curl -s -o /dev/null -H 'Host: bench.test' http://127.0.0.1:$ROUTER/ && break; sleep 0.2; done
for p in $TCPROUTE $RELAYROUTE $HAPROXYTCP; do
  for i in $(seq 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-cli -p $p ping >/dev/null || { echo "nothing answers redis on $p; logs:"; tail -5 "$WORK/router.log" "$WORK/relay.log" "$WORK/haproxy.log"; exit 1; }
done
echo "route on port $TCPROUTE: $(grep -o 'TCP routes: .*' "$WORK/router.log" | head -1); on port $RELAYROUTE: $(grep -o 'TCP routes: .*' "$WORK/relay.log" | head -1)"
curl -sf -H 'Host: bench.test' http://127.0.0.1:$ROUTER/ >/dev/null || { echo "router not answering; log:"; tail -20 "$WORK/router.log"; exit 1; }
echo "Grid's router: $(grep -o 'HTTPS on .*' "$WORK/router.log")"
for p in $NGINX $NGINXSAME $HAPROXYHTTP; do
  for i in $(seq 50); do curl -sf http://127.0.0.1:$p/ >/dev/null && break; sleep 0.2; done
  curl -sf http://127.0.0.1:$p/ >/dev/null || { echo "nothing answers HTTP on $p; logs:"; tail -5 "$WORK/haproxy.log"; exit 1; }
done

# Warm-up, not counted: 15 s each. Grid's first round may still be warming up (JIT); the median over rounds absorbs it.
wrk -t$THREADS -c$CONNS -d15s -H 'Host: bench.test' http://127.0.0.1:$ROUTER/ >/dev/null
wrk -t$THREADS -c$CONNS -d15s http://127.0.0.1:$NGINX/ >/dev/null
wrk -t$THREADS -c$CONNS -d15s http://127.0.0.1:$NGINXSAME/ >/dev/null
wrk -t$THREADS -c$CONNS -d15s http://127.0.0.1:$HAPROXYHTTP/ >/dev/null

cpu_ticks() { # pids... -> user+system clock ticks of all their threads
  for p in "$@"; do cat /proc/"$p"/task/*/stat 2>/dev/null; done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t+0 }'
}
run_wrk() { # url host [proxy pids...] -> "rps p99_ms non2xx cpu_us_per_request"
  local url=$1 host=$2; shift 2
  local before; before=$(cpu_ticks "$@")
  wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s --latency -H "Host: $host" "$url" | awk -v ticks0="$before" -v hz="$(getconf CLK_TCK)" -v pids="$*" '
    /requests in/ { n=$1 }
    /Requests\/sec/ { rps=$2 }
    /^ +99%/ { v=$2; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } p99=v }
    /Non-2xx/ { bad=$NF }
    END {
      cpu="-"
      if (pids != "") { cmd="for p in " pids "; do cat /proc/$p/task/*/stat 2>/dev/null; done"; t=0
        while ((cmd | getline line) > 0) { sub(/^.*\) /, "", line); split(line, f, " "); t += f[12] + f[13] }
        cpu=sprintf("%.1f", (t - ticks0) / hz * 1e6 / n) }
      printf "%s %s %s %s\n", rps, p99, (bad==""?0:bad), cpu }'
}
# The table FirewallRules makes for a host of this machine (its Grid ports: the bench's etcd).
java -cp "$ROOT/platform/server/target/grid-server.jar" dev.grid.host.FirewallRules bench_router 127.0.0.1 200000-299999 20000-20999 \
  $ETCD $((ETCD+1)) > "$WORK/firewall.nft"
with_firewall() { nft -f "$WORK/firewall.nft"; "$@"; nft delete table inet $FW_TABLE; }
median() { sort -g | awk '{a[NR]=$1} END { print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }
col() { cut -d' ' -f"$2" "$WORK/$1.txt" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

PARTS="${BENCH_PARTS:-http tcp}"
if [[ " $PARTS " == *" http "* ]]; then
peers="the peers add a PaaS router's headers (BENCH_PEERS=plain: they do not)"; [ "${BENCH_PEERS:-paas}" != plain ] || peers="the peers add no header (BENCH_PEERS=plain)"
echo "HTTP: wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s, $ROUNDS alternating rounds; $peers; access logs $ACCESS_LOGS"
: > "$WORK/grid.txt"; : > "$WORK/nginx.txt"; : > "$WORK/same.txt"; : > "$WORK/gridfw.txt"; : > "$WORK/haproxy.txt"
for r in $(seq "$ROUNDS"); do
  g=$(run_wrk http://127.0.0.1:$ROUTER/ bench.test $ROUTER_PID); echo "  round $r grid:  rps p99ms non2xx cpu-us/req = $g"; echo "$g" >> "$WORK/grid.txt"
  f=$(with_firewall run_wrk http://127.0.0.1:$ROUTER/ bench.test $ROUTER_PID); echo "  round $r grid with a host's firewall table: rps p99ms non2xx cpu-us/req = $f"; echo "$f" >> "$WORK/gridfw.txt"
  n=$(run_wrk http://127.0.0.1:$NGINX/ bench.test $NGINX_PID $(pgrep -P $NGINX_PID)); echo "  round $r nginx: rps p99ms non2xx cpu-us/req = $n"; echo "$n" >> "$WORK/nginx.txt"
  h=$(run_wrk http://127.0.0.1:$HAPROXYHTTP/ bench.test $HAPROXY_PID); echo "  round $r haproxy: rps p99ms non2xx cpu-us/req = $h"; echo "$h" >> "$WORK/haproxy.txt"
  m=$(run_wrk http://127.0.0.1:$NGINXSAME/ bench.test); echo "  round $r nginx inside the backend's workers (reference): rps p99ms non2xx = $m"; echo "$m" >> "$WORK/same.txt"
done
g_rps=$(col grid 1); n_rps=$(col nginx 1); m_rps=$(col same 1)
g_p99=$(col grid 2); n_p99=$(col nginx 2); m_p99=$(col same 2)
g_cpu=$(col grid 4); n_cpu=$(col nginx 4)
echo "HTTP median: grid $g_rps req/s p99 ${g_p99} ms | nginx $n_rps req/s p99 ${n_p99} ms | req/s ratio $(ratio "$g_rps" "$n_rps") | p99 ratio $(ratio "$g_p99" "$n_p99")"
echo "  the proxy's own CPU per request (median): grid $g_cpu us | nginx $n_cpu us | ratio $(ratio "$g_cpu" "$n_cpu")"
h_rps=$(col haproxy 1); h_p99=$(col haproxy 2); h_cpu=$(col haproxy 4)
echo "  haproxy: $h_rps req/s p99 ${h_p99} ms, $h_cpu us CPU per request | grid/haproxy req/s $(ratio "$g_rps" "$h_rps") p99 $(ratio "$g_p99" "$h_p99") CPU $(ratio "$g_cpu" "$h_cpu")"
echo "  reference, nginx inside the backend's workers: $m_rps req/s p99 ${m_p99} ms | grid/it req/s $(ratio "$g_rps" "$m_rps") p99 $(ratio "$g_p99" "$m_p99")"
f_rps=$(col gridfw 1); f_p99=$(col gridfw 2); f_cpu=$(col gridfw 4)
echo "  grid with a host's firewall table: $f_rps req/s p99 ${f_p99} ms, $f_cpu us CPU per request | vs without: req/s $(ratio "$f_rps" "$g_rps") CPU $(ratio "$f_cpu" "$g_cpu")"
fi
if [[ " $PARTS " == *" h2 "* ]]; then
# HTTP/2 over TLS: h2load through Grid's TLS port and through nginx's, alternating rounds.
H2C="${H2_CONNS:-16}"; H2M="${H2_STREAMS:-10}"
run_h2load() { # url [proxy pids...] -> "rps failed cpu_us_per_request"
  local url=$1; shift
  local before; before=$(cpu_ticks "$@")
  h2load -t$THREADS -c"$H2C" -m"$H2M" -D "$SECONDS_PER_RUN" "$url" 2>&1 | awk -v ticks0="$before" -v hz="$(getconf CLK_TCK)" -v pids="$*" '
    /^finished in/ { rps=$4 } /^requests:/ { n=$8; failed=$10 }
    END {
      cpu="-"
      if (pids != "") { cmd="for p in " pids "; do cat /proc/$p/task/*/stat 2>/dev/null; done"; t=0
        while ((cmd | getline line) > 0) { sub(/^.*\) /, "", line); split(line, f, " "); t += f[12] + f[13] }
        cpu=sprintf("%.1f", (t - ticks0) / hz * 1e6 / (n > 0 ? n : 1)) }
      printf "%s %s %s\n", rps, failed, cpu }'
}
for u in https://127.0.0.1:$ROUTERTLS/ https://127.0.0.1:$NGINXTLS/; do
  h2load -n 10 -c 1 "$u" 2>&1 | grep -q '10 succeeded' || { echo "no HTTP/2 answer from $u"; h2load -n 1 -c 1 "$u"; tail -5 "$WORK/router.log"; exit 1; }
  h2load -t$THREADS -c"$H2C" -m"$H2M" -D 15 "$u" > /dev/null 2>&1 # warm-up, not counted
done
echo "HTTP/2: h2load -t$THREADS -c$H2C -m$H2M -D ${SECONDS_PER_RUN}s over TLS, $ROUNDS alternating rounds"
: > "$WORK/h2grid.txt"; : > "$WORK/h2nginx.txt"
for r in $(seq "$ROUNDS"); do
  g=$(run_h2load https://127.0.0.1:$ROUTERTLS/ $ROUTER_PID); echo "  round $r grid:  rps failed cpu-us/req = $g"; echo "$g" >> "$WORK/h2grid.txt"
  n=$(run_h2load https://127.0.0.1:$NGINXTLS/ $NGINX_PID $(pgrep -P $NGINX_PID)); echo "  round $r nginx: rps failed cpu-us/req = $n"; echo "$n" >> "$WORK/h2nginx.txt"
done
echo "HTTP/2 median: grid $(col h2grid 1) req/s | nginx $(col h2nginx 1) req/s | req/s ratio $(ratio "$(col h2grid 1)" "$(col h2nginx 1)")"
echo "  the proxy's own CPU per request (median): grid $(col h2grid 3) us | nginx $(col h2nginx 3) us | ratio $(ratio "$(col h2grid 3)" "$(col h2nginx 3)")"
fi
if [[ " $PARTS " == *" accesslog "* ]]; then
# What Grid's access lines cost: two routers at once, each under its own wrk at once with half the
# connections, so both see the same machine at the same moment. The first keeps access lines
# (ACCESS_LOGS), the second (the relay's router, another etcd prefix, the same backend) none.
echo "ACCESS LINES: two routers side by side, wrk -t1 -c$((CONNS / 2)) -d${SECONDS_PER_RUN}s on each at once, $ROUNDS rounds; lines $ACCESS_LOGS in the first, off in the second"
: > "$WORK/alon.txt"; : > "$WORK/aloff.txt"; : > "$WORK/alpair.txt"
for r in $(seq "$ROUNDS"); do
  (THREADS=1 CONNS=$((CONNS / 2)); run_wrk http://127.0.0.1:$ROUTER/ bench.test $ROUTER_PID > "$WORK/al-a.out") & wa=$!
  (THREADS=1 CONNS=$((CONNS / 2)); run_wrk http://127.0.0.1:$RELAY/ bench.test $RELAY_PID > "$WORK/al-b.out") & wb=$!
  wait $wa $wb
  a=$(cat "$WORK/al-a.out"); b=$(cat "$WORK/al-b.out")
  echo "  round $r lines $ACCESS_LOGS: rps p99ms non2xx cpu-us/req = $a | lines off: $b"; echo "$a" >> "$WORK/alon.txt"; echo "$b" >> "$WORK/aloff.txt"
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.3f %.3f %.3f\n", x[1] / y[1], x[2] / y[2], x[4] / y[4] }' >> "$WORK/alpair.txt"
done
echo "ACCESS LINES median: $ACCESS_LOGS $(col alon 1) req/s, p99 $(col alon 2) ms, $(col alon 4) us CPU/req | off $(col aloff 1) req/s, p99 $(col aloff 2) ms, $(col aloff 4) us CPU/req"
echo "  per round (median), $ACCESS_LOGS over off: req/s $(col alpair 1) | p99 $(col alpair 2) | CPU per request $(col alpair 3)"
fi
if [[ " $PARTS " == *" firewall "* ]]; then
# Grid's router alone, with and without a host's firewall table, alternating: what the table costs.
echo "FIREWALL: wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s, $ROUNDS pairs of rounds, the table loaded every other round"
: > "$WORK/off.txt"; : > "$WORK/on.txt"; : > "$WORK/pair.txt"
for r in $(seq "$ROUNDS"); do
  a=$(run_wrk http://127.0.0.1:$ROUTER/ bench.test $ROUTER_PID); echo "  round $r without: rps p99ms non2xx cpu-us/req = $a"; echo "$a" >> "$WORK/off.txt"
  b=$(with_firewall run_wrk http://127.0.0.1:$ROUTER/ bench.test $ROUTER_PID); echo "  round $r with:    rps p99ms non2xx cpu-us/req = $b"; echo "$b" >> "$WORK/on.txt"
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.3f %.3f\n", y[1] / x[1], y[4] / x[4] }' >> "$WORK/pair.txt"
done
echo "FIREWALL median: without $(col off 1) req/s, $(col off 4) us CPU/req | with $(col on 1) req/s, $(col on 4) us CPU/req"
echo "  per pair (median): req/s with/without $(col pair 1) | CPU per request with/without $(col pair 2)"
fi
if [[ " $PARTS " == *" slow "* ]]; then
# Slow readers: N clients read a 1 GiB answer at 100 KiB/s through the proxy while wrk measures
# the latency of everyone else; the proxy's RSS (all its processes) is sampled every second.
SLOW="${SLOW_READERS:-20}"
rss_kb() { for p in "$@"; do awk '/^VmRSS/ { print $2 }' /proc/"$p"/status 2>/dev/null; done | awk '{ t += $1 } END { print t+0 }'; }
slow_round() { # port readers pids... -> "rss_growth_mb p50_ms p99_ms rps bytes_read_mb"
  local port=$1 readers=$2; shift 2
  local rss0 peak=0 curls=() sampler
  rss0=$(rss_kb "$@")
  for i in $(seq "$readers"); do
    curl -s -o /dev/null -w '%{size_download}\n' --limit-rate 100K --max-time "$SECONDS_PER_RUN" -H 'Host: bench.test' \
      "http://127.0.0.1:$port/big" >> "$WORK/slow-bytes.txt" & curls+=($!)
  done
  ( while true; do rss_kb "$@"; sleep 1; done ) > "$WORK/rss.txt" & sampler=$!
  sleep 2
  local w; w=$(wrk -t$THREADS -c16 -d$((SECONDS_PER_RUN - 4))s --latency -H 'Host: bench.test' "http://127.0.0.1:$port/" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/,"",v); return v/1000 } if (v ~ /ms$/) { sub(/ms$/,"",v); return v } sub(/s$/,"",v); return v*1000 }
    /^ +50%/ { p50=ms($2) } /^ +99%/ { p99=ms($2) } /Requests\/sec/ { rps=$2 } END { printf "%s %s %s", p50, p99, rps }')
  [ ${#curls[@]} -eq 0 ] || wait "${curls[@]}" 2>/dev/null || true
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$WORK/rss.txt" | tail -1)
  local mb; mb=$(awk '{ t += $1 } END { printf "%.0f", t / 1048576 }' "$WORK/slow-bytes.txt"); : > "$WORK/slow-bytes.txt"
  awk -v a="$rss0" -v b="$peak" -v w="$w" -v mb="$mb" 'BEGIN { printf "%.0f %s %s\n", (b - a) / 1024, w, mb }'
}
: > "$WORK/slow-bytes.txt"
echo "SLOW READERS: $SLOW clients at 100 KiB/s on a 1 GiB answer, wrk -t$THREADS -c16 on / meanwhile, $ROUNDS alternating rounds of ${SECONDS_PER_RUN}s"
echo "  (each round also without slow readers, for the usual latency; nginx streams /big with proxy_max_temp_file_size 0)"
for f in gslow gcalm nslow ncalm; do : > "$WORK/$f.txt"; done
for r in $(seq "$ROUNDS"); do
  a=$(slow_round $ROUTER "$SLOW" $ROUTER_PID); echo "  round $r grid,  $SLOW slow readers: rss+MB p50ms p99ms rps slowMB = $a"; echo "$a" >> "$WORK/gslow.txt"
  a=$(slow_round $ROUTER 0 $ROUTER_PID); echo "  round $r grid,  none:            rss+MB p50ms p99ms rps slowMB = $a"; echo "$a" >> "$WORK/gcalm.txt"
  a=$(slow_round $NGINX "$SLOW" $NGINX_PID $(pgrep -P $NGINX_PID)); echo "  round $r nginx, $SLOW slow readers: rss+MB p50ms p99ms rps slowMB = $a"; echo "$a" >> "$WORK/nslow.txt"
  a=$(slow_round $NGINX 0 $NGINX_PID $(pgrep -P $NGINX_PID)); echo "  round $r nginx, none:            rss+MB p50ms p99ms rps slowMB = $a"; echo "$a" >> "$WORK/ncalm.txt"
done
echo "SLOW median: grid RSS +$(col gslow 1) MB, p50 $(col gslow 2) ms (without slow readers $(col gcalm 2) ms), p99 $(col gslow 3) ms ($(col gcalm 3) ms)"
echo "             nginx RSS +$(col nslow 1) MB, p50 $(col nslow 2) ms (without slow readers $(col ncalm 2) ms), p99 $(col nslow 3) ms ($(col ncalm 3) ms)"
echo "  the slow readers got $(col gslow 5) MB through grid and $(col nslow 5) MB through nginx per round (median); at 100 KiB/s each: $(awk -v n="$SLOW" -v s="$SECONDS_PER_RUN" 'BEGIN{printf "%.0f", n*s*100/1024}') MB"
fi
if [[ " $PARTS " == *" hold "* ]]; then
# Everything stays up for HOLD seconds, warmed up, for measurements by hand (bench/schedstat.sh,
# perf): the first router with ROUTER_GC's flags, the second (RELAY_JAR's) with grid up's.
echo "HOLD: Grid's router pid $ROUTER_PID on :$ROUTER, the second router pid $RELAY_PID on :$RELAY, HAProxy pid $HAPROXY_PID on :$HAPROXYHTTP, nginx pid $NGINX_PID on :$NGINX (Host: bench.test); up for ${HOLD:-600} s"
sleep "${HOLD:-600}"
fi
if [[ " $PARTS " == *" tcp "* ]]; then
REDIS_PID=$(pgrep -f "redis-server 127.0.0.1:$REDIS" | head -1)
echo "TCP: redis-benchmark -t set,get -n 200000 -c 50, $ROUNDS alternating rounds (nginx stream and HAProxy mode tcp as the peer proxies)"
echo "  CPU per op (µs, all threads): the proxy's, redis-server's and redis-benchmark's own"
: > "$WORK/route.txt"; : > "$WORK/direct.txt"; : > "$WORK/nstream.txt"; : > "$WORK/kernel.txt"; : > "$WORK/haproxy.txt"
rb() { # port [proxy pids...] -> "ops/s (mean of SET and GET) proxy_us server_us client_us" per op
  local port=$1; shift
  local p0 s0 out t; p0=$(cpu_ticks "$@"); s0=$(cpu_ticks "$REDIS_PID")
  t=$( { TIMEFORMAT='%U %S'; time redis-benchmark -p "$port" -t set,get -n 200000 -c 50 -q > "$WORK/rb.out" 2>/dev/null; } 2>&1 )
  out=$(tr '\r' '\n' < "$WORK/rb.out" | awk '/requests per second/ { for (i=1;i<=NF;i++) if ($i ~ /^[0-9.]+$/) { s+=$i; n++; break } } END { printf "%.0f", s/n }')
  awk -v ops="$out" -v p="$(( $(cpu_ticks "$@") - p0 ))" -v s="$(( $(cpu_ticks "$REDIS_PID") - s0 ))" -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(t, c, " "); n = 400000; printf "%s %.1f %.1f %.1f\n", ops, p / hz * 1e6 / n, s / hz * 1e6 / n, (c[1] + c[2]) * 1e6 / n }'
}
for r in $(seq "$ROUNDS"); do
  k=$(rb $TCPROUTE $ROUTER_PID); echo "  round $r grid kernel:  ops/s proxy-us server-us client-us = $k"; echo "$k" >> "$WORK/kernel.txt"
  a=$(rb $RELAYROUTE $RELAY_PID); echo "  round $r grid relay:   ops/s proxy-us server-us client-us = $a"; echo "$a" >> "$WORK/route.txt"
  c=$(rb $NGINXTCP $NGINX_PID $(pgrep -P $NGINX_PID)); echo "  round $r nginx stream: ops/s proxy-us server-us client-us = $c"; echo "$c" >> "$WORK/nstream.txt"
  h=$(rb $HAPROXYTCP $HAPROXY_PID); echo "  round $r haproxy tcp:  ops/s proxy-us server-us client-us = $h"; echo "$h" >> "$WORK/haproxy.txt"
  b=$(rb $REDIS); echo "  round $r direct:       ops/s proxy-us server-us client-us = $b"; echo "$b" >> "$WORK/direct.txt"
done
k=$(col kernel 1); a=$(col route 1); b=$(col direct 1); c=$(col nstream 1); h=$(col haproxy 1)
echo "TCP median ops/s: direct $b | grid kernel $k | grid relay $a | nginx stream $c | haproxy tcp $h"
echo "  vs direct: grid kernel $(ratio "$k" "$b") | grid relay $(ratio "$a" "$b") | nginx stream $(ratio "$c" "$b") | haproxy tcp $(ratio "$h" "$b")"
echo "  CPU per op (median, the proxy's own): grid kernel $(col kernel 2) us (the router process: none on the data path) | grid relay $(col route 2) us | nginx stream $(col nstream 2) us | haproxy $(col haproxy 2) us"
echo "  redis-server + redis-benchmark per op: direct $(awk -v s="$(col direct 3)" -v c="$(col direct 4)" 'BEGIN{printf "%.1f", s+c}') us | kernel route $(awk -v s="$(col kernel 3)" -v c="$(col kernel 4)" 'BEGIN{printf "%.1f", s+c}') us"
fi
