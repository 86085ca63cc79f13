#!/usr/bin/env bash
# How a proxy's threads were scheduled while wrk loaded it: for each thread that ran more than
# 50 ms, its CPU time, its time runnable but waiting for a CPU, how many times it got a CPU
# (slices, from /proc/PID/task/TID/schedstat), its voluntary and forced switches, and the mean
# wait per slice; and the process's user and system CPU per request. Used beside
# `BENCH_PARTS=hold bash bench/router.sh`, which keeps the proxies up.
# Usage: bench/schedstat.sh PID URL [HOST] [SECONDS]   e.g. bench/schedstat.sh 1234 http://127.0.0.1:18090/ bench.test 10
set -euo pipefail
P=$1; URL=$2; HOST=${3:-bench.test}; SECS=${4:-10}
[ -d "/proc/$P" ] || { echo "no process $P" >&2; exit 2; }
snap() {
  for t in /proc/"$P"/task/*; do
    echo "$(basename "$t") $(tr ' ' _ < "$t/comm") $(cat "$t/schedstat") $(awk '/voluntary_ctxt_switches/ { printf "%s ", $2 }' "$t/status")"
  done | sort
}
cpu() { sed 's/^.*) //' "/proc/$P/stat" | awk '{ print $12, $13 }'; } # utime stime, in clock ticks
before=$(snap); cpu0=$(cpu)
out=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Host: $HOST" "$URL")
after=$(snap); cpu1=$(cpu)
echo "$out" | grep -E '^ +(50|90|99)%|Requests/sec'
n=$(echo "$out" | awk '/requests in/ { print $1 }')
awk -v a="$cpu0" -v b="$cpu1" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x, " "); split(b, y, " ")
  printf "CPU per request: user %.1f us, system %.1f us\n", (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / hz * 1e6 / n }'
join <(echo "$before") <(echo "$after") | awk '{
  run = ($9 - $3) / 1e6; wait = ($10 - $4) / 1e6; slices = $11 - $5; vol = $12 - $6; forced = $13 - $7
  if (run > 50) printf "%-18s run %6.0f ms  waiting %6.0f ms  slices %7d  voluntary %6d  forced %7d  wait per slice %6.1f us\n",
    $2, run, wait, slices, vol, forced, wait * 1000 / (slices > 0 ? slices : 1) }'
