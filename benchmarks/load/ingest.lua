-- wrk script: POST /v1/records batches of BATCH records with unique external_refs.
-- Environment: CB_TOKEN (institution token), CB_LEARNERS (comma-separated learner ids, or
-- CB_LEARNERS_FILE: a file holding them),
-- CB_UNIT, CB_BATCH (default 100), CB_RUN (a run id keeping refs unique across runs).
local counter = 0
local next_thread = 0
local learners = {}
local token, unit, batch, run

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  token = os.getenv("CB_TOKEN")
  unit = os.getenv("CB_UNIT")
  batch = tonumber(os.getenv("CB_BATCH") or "100")
  run = os.getenv("CB_RUN") or "run"
  local list = os.getenv("CB_LEARNERS")
  local file = os.getenv("CB_LEARNERS_FILE")  -- for lists past the 128 KiB of one variable
  if file then
    local f = assert(io.open(file, "r"))
    list = f:read("*a")
    f:close()
  end
  for id in string.gmatch(list, "[^,%s]+") do
    table.insert(learners, id)
  end
end

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    local learner = learners[(counter % #learners) + 1]
    parts[i] = string.format(
      '{"learner":"%s","unit":"%s","external_ref":"%s-%d-%d","grade":{"scale":"percent","value":"%d"},"completed_on":"2024-06-%02d"}',
      learner, unit, run, thread_id, counter, 60 + counter % 40, 1 + counter % 28)
  end
  local body = '{"records":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/v1/records",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 201 and (statuses[status] or 0) <= 3 then
    io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body, 1, 200) .. "\n")
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.3f errors_status=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
