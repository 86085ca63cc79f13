-- wrk script: prints req/s and the latency percentiles wrk's own report leaves out (95 to 99.9),
-- on one line, in ms. Usage: wrk -t2 -c64 -d10s -s bench/percentiles.lua -H 'Host: bench.test' URL
done = function(summary, latency, requests)
  local s = string.format("rps %.0f", summary.requests / (summary.duration / 1e6))
  for _, p in ipairs({50, 90, 95, 97, 98, 99, 99.5, 99.9}) do s = s .. string.format(" p%s=%.2f", p, latency:percentile(p) / 1000) end
  io.write(s .. string.format(" max=%.1f\n", latency.max / 1000))
end
