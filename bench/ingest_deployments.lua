-- wrk script: DevLake deployments with 3 commits each and a unique id per request.
local counter = 0

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("DORAHUB_TOKEN")
  prefix = os.getenv("BENCH_RUN") or "run"
end

request = function()
  counter = counter + 1
  local id = prefix .. "-" .. thread_id .. "-" .. counter
  local body = string.format(
    '{"id":"%s","environment":"PRODUCTION","result":"SUCCESS",' ..
    '"start_time":"2024-05-01T12:00:00+00:00","end_time":"2024-05-01T12:05:00+00:00",' ..
    '"deploymentCommits":[' ..
    '{"repo_url":"https://github.com/acme/shop","commit_sha":"%s-a"},' ..
    '{"repo_url":"https://github.com/acme/shop","commit_sha":"%s-b"},' ..
    '{"repo_url":"https://github.com/acme/shop","commit_sha":"%s-c"}]}',
    id, id, id, id)
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
