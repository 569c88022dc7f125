-- wrk script: GET a path with a bearer token (CB_TOKEN, CB_PATH); prints p50/p99.
-- CB_PATH may hold several paths separated by spaces: each request takes the next, in turn.
local token = os.getenv("CB_TOKEN")
local paths = {}
for p in string.gmatch(os.getenv("CB_PATH") or "/", "%S+") do paths[#paths + 1] = p end
local n = 0
request = function()
  n = n % #paths + 1
  if token and token ~= "" then
    return wrk.format("GET", paths[n], {["Authorization"] = "Bearer " .. token})
  end
  return wrk.format("GET", paths[n])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.3f errors_status=%d non2xx=%d p50_ms=%.3f p99_ms=%.3f mean_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
    latency.max / 1000))
end
