#!/usr/bin/env bash
# Benchmarks the Postgres appliance on a real three-node cluster (three loopback hosts,
# real containers, the router's leader TCP route), by running its end-to-end test with
# more rounds than the suite does:
#   - provisioning: request to working credentials on a running cluster (SAMPLES times);
#   - failover: a JDBC writer commits rows while the primary's container is docker-killed,
#     ROUNDS times; time from the kill to the first write acknowledged by the new primary,
#     against the time the killed node takes to be back (what a single-node Postgres that
#     restarts on crash would offer); no acknowledged row may be lost (the test asserts it).
# Usage: bench/postgres-failover.sh [ROUNDS] [SAMPLES]   (defaults: 20 rounds, 10 samples)
set -euo pipefail
ROUNDS="${1:-20}"; SAMPLES="${2:-10}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
mvn -B -q -DskipTests install
OUT="$(mktemp /tmp/grid-pg-bench.XXXXXX)"
mvn -B -q -pl platform/server test -Dtest=PostgresApplianceTest -Dgrid.chaos.rounds="$ROUNDS" -Dgrid.provision.samples="$SAMPLES" \
  -Dsurefire.failIfNoSpecifiedTests=false >/dev/null
grep -h '^BENCH' platform/server/target/surefire-reports/dev.grid.server.PostgresApplianceTest-output.txt | tee "$OUT"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
max() { sort -n | tail -1; }
prov=$(grep 'provision on a running' "$OUT" | sed -E 's/.*: ([0-9]+) ms/\1/')
fail=$(grep 'failover round' "$OUT" | sed -E 's/.*first write ([0-9]+) ms.*/\1/')
back=$(grep 'rejoin round' "$OUT" | sed -E 's/.* ([0-9]+) ms after.*/\1/')
echo
echo "provision (ms):            median $(echo "$prov" | median)  max $(echo "$prov" | max)  (n=$(echo "$prov" | wc -l))"
echo "kill -> first write (ms):  median $(echo "$fail" | median)  max $(echo "$fail" | max)  (n=$(echo "$fail" | wc -l))"
echo "kill -> node back (ms):    median $(echo "$back" | median)  max $(echo "$back" | max)"
rm -f "$OUT"
