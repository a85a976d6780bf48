-- wrk script: single OSV queries (POST /v1/query), cycling through the
-- request bodies in queries.jsonl (one JSON query per line, made by gen).
local path = os.getenv("QUERIES") or "bench/serve/out/queries.jsonl"
local bodies = {}
for line in io.lines(path) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "no queries in " .. path)

local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1/query", nil, bodies[i])
end


done = function(summary, latency, requests)
  io.write(string.format("queries: %d distinct bodies\n", #bodies))
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  local e = summary.errors
  io.write(string.format("errors: connect %d, read %d, write %d, timeout %d, status %d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
end
