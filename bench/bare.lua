-- wrk script: the same request shape against the bare Django endpoint.
request = function()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '{"ping":1}')
end
