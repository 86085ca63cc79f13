#!/usr/bin/env bash
# Benchmarks an appliance's failover on real clusters (loopback hosts, real containers,
# the router's leader TCP route) by running its end-to-end test with more rounds than
# the suite does:
#   postgres: a JDBC writer commits rows while the primary's container is docker-killed;
#             also provisioning on a running cluster (SAMPLES times) and the time the
#             killed node takes to be back as a replica (what a single-node Postgres that
#             restarts on crash would offer). No acknowledged row may be lost (asserted).
#   redis:    a Jedis writer, each write confirmed by WAIT 1; no confirmed write may be lost.
#   mariadb:  a JDBC writer (MariaDB Connector/J) on the shared semi-synchronous cluster; no
#             acknowledged row may be lost, and the killed node must be back as a replica.
# Reported: time from the kill to the first write acknowledged by another node.
# Usage: bench/appliance-failover.sh postgres|redis|mariadb [ROUNDS] [SAMPLES]   (defaults: 20 rounds, 10 samples)
set -euo pipefail
APPLIANCE="${1:?usage: bench/appliance-failover.sh postgres|redis|mariadb [ROUNDS] [SAMPLES]}"; ROUNDS="${2:-20}"; SAMPLES="${3:-10}"
case "$APPLIANCE" in
  postgres) TEST=PostgresApplianceTest ;;
  redis) TEST=RedisApplianceTest ;;
  mariadb) TEST=MariaDbApplianceTest ;;
  *) echo "unknown appliance '$APPLIANCE': use postgres, redis or mariadb" >&2; exit 2 ;;
esac
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
mvn -B -q -DskipTests install
OUT="$(mktemp /tmp/grid-pg-bench.XXXXXX)"
mvn -B -q -pl platform/server test -Dtest=$TEST -Dgrid.chaos.rounds="$ROUNDS" -Dgrid.provision.samples="$SAMPLES" \
  -Dsurefire.failIfNoSpecifiedTests=false >/dev/null
grep -h '^BENCH' platform/server/target/surefire-reports/dev.grid.server.$TEST-output.txt | tee "$OUT"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
max() { sort -n | tail -1; }
prov=$(grep 'provision' "$OUT" | sed -E 's/.*: ([0-9]+) ms/\1/')
fail=$(grep 'failover round' "$OUT" | sed -E 's/.*first write ([0-9]+) ms.*/\1/')
back=$(grep 'rejoin round' "$OUT" | sed -E 's/.* ([0-9]+) ms after.*/\1/' || true)  # postgres and mariadb
echo
echo "provision (ms):            median $(echo "$prov" | median)  max $(echo "$prov" | max)  (n=$(echo "$prov" | wc -l))"
echo "kill -> first write (ms):  median $(echo "$fail" | median)  max $(echo "$fail" | max)  (n=$(echo "$fail" | wc -l))"
[ -z "$back" ] || echo "kill -> node back (ms):    median $(echo "$back" | median)  max $(echo "$back" | max)"
rm -f "$OUT"
