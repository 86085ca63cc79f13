# Sourced by the benchmarks that run a real Grid server of their own: its GRID_HOME, ports
# clear of a `grid up` on this machine, the server started in the background, `grid` for the
# CLI, and a cleanup that stops the server and removes what it made on this host.
# Before sourcing: cd to the repository; GRID_PORT_RANGE may widen the job ports (17200-17299).
# After: ADDON (optional) names an add-on to destroy.
export GRID_HOME="$(mktemp -d /tmp/grid-bench-home.XXXXXX)"
export GRID_ETCD_PORT=17379 GRID_API_PORT=17070 GRID_HTTP_PORT=17080 GRID_HTTPS_PORT=-1 GRID_SSH_PORT=17222 \
       GRID_BLOB_PORT=17071 GRID_TCP_PORT_RANGE=17100-17199 GRID_PORT_RANGE="${GRID_PORT_RANGE:-17200-17299}" GRID_ROUTER_ADDRESS=127.0.0.1 \
       GRID_HOST_ID="bench$$"
grid() { java -jar cli/target/grid-cli.jar "$@"; }
java -XX:+UseSerialGC ${GRID_SERVER_OPTS:-} -jar platform/server/target/grid-server.jar > "$GRID_HOME/grid.log" 2>&1 &
SERVER=$!
grid_cleanup() {
  [ -n "${ADDON:-}" ] && grid addons:destroy "$ADDON" --confirm "$ADDON" >/dev/null 2>&1 || true
  : > "$GRID_HOME/stop-workloads" # as `grid down`: the jobs, the kernel routes and etcd stop too
  kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
  docker volume ls -q --filter label=grid.host="$GRID_HOST_ID" | xargs -r docker volume rm >/dev/null 2>&1 || true
  rm -rf "$GRID_HOME"
}
trap grid_cleanup EXIT
echo "waiting for Grid to answer (its log: $GRID_HOME/grid.log)"
for i in $(seq 1 60); do [ -f "$GRID_HOME/cli.json" ] && grid status >/dev/null 2>&1 && break; sleep 1; done
