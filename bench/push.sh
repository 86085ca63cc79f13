#!/usr/bin/env bash
# Benchmarks git push: GitPushTest's Node.js app pushed twice (the second with a warm npm
# cache) over SSH to an in-JVM Grid, ROUNDS times; prints each round's timings and the
# medians of the second push's wall clock and the platform's overhead (push minus build).
# With BASELINE=COMMIT it also runs that commit's code (a worktree beside this one, built
# in its own reactor, so nothing of it is installed), alternating rounds with this code.
# Usage: bench/push.sh [ROUNDS]   (default 4)   e.g. BASELINE=6bbe1d3 bench/push.sh 4
set -euo pipefail
ROUNDS="${1:-4}"
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-host.sh
mvn -B -q -DskipTests install
WORK="$(mktemp -d /tmp/grid-push-bench.XXXXXX)"
cleanup() { [ -z "${BASELINE:-}" ] || git -C "$ROOT" worktree remove --force "$WORK/baseline" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
[ -z "${BASELINE:-}" ] || git worktree add -q "$WORK/baseline" "$BASELINE"
round() { # dir extra-maven-flags -> "second_ms overhead_ms"
  (cd "$1" && mvn -B -q $2 -pl platform/server test -Dtest=GitPushTest -Dsurefire.failIfNoSpecifiedTests=false >/dev/null 2>&1) || { echo "GitPushTest failed in $1" >&2; exit 1; }
  grep -h 'push timings' "$1/platform/server/target/surefire-reports/dev.grid.server.GitPushTest-output.txt" \
    | sed -E 's/.*second with warm cache ([0-9]+) ms.*overhead ([0-9]+) ms/\1 \2/'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
for r in $(seq "$ROUNDS"); do
  t=$(round "$ROOT" ""); echo "  round $r this code: second push, overhead (ms) = $t"; echo "$t" >> "$WORK/now.txt"
  if [ -n "${BASELINE:-}" ]; then
    b=$(round "$WORK/baseline" "-am"); echo "  round $r $BASELINE: second push, overhead (ms) = $b"; echo "$b" >> "$WORK/base.txt"
  fi
done
echo "this code: second push median $(cut -d' ' -f1 "$WORK/now.txt" | median) ms, overhead median $(cut -d' ' -f2 "$WORK/now.txt" | median) ms"
[ -z "${BASELINE:-}" ] || echo "$BASELINE: second push median $(cut -d' ' -f1 "$WORK/base.txt" | median) ms, overhead median $(cut -d' ' -f2 "$WORK/base.txt" | median) ms"
