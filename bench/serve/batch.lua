-- wrk script: 1,000-package batches (POST /v1/querybatch). The queries of
-- queries.jsonl are cut into batches of BATCH (default 1000) queries each;
-- requests cycle through the batches.
local path = os.getenv("QUERIES") or "bench/serve/out/queries.jsonl"
local size = tonumber(os.getenv("BATCH") or "1000")
local queries = {}
for line in io.lines(path) do
  if #line > 0 then queries[#queries + 1] = line end
end
assert(#queries >= size, "fewer than " .. size .. " queries in " .. path)

local batches = {}
for start = 1, #queries - size + 1, size do
  batches[#batches + 1] = '{"queries":[' .. table.concat(queries, ",", start, start + size - 1) .. ']}'
end

local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  i = i % #batches + 1
  return wrk.format(nil, "/v1/querybatch", nil, batches[i])
end

done = function(summary, latency, requests)
  io.write(string.format("batches: %d distinct bodies of %d queries\n", #batches, size))
  io.write(string.format("requests/s: %.1f (queries/s: %.0f)\n",
    summary.requests / (summary.duration / 1e6), size * summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  local e = summary.errors
  io.write(string.format("errors: connect %d, read %d, write %d, timeout %d, status %d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
end
