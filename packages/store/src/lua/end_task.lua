-- Ends a task (completed | cancelled | expired) and every descendant task, and puts all their live leases in
-- `revoking`, due now, in one step: from here on introspection reports them inactive. Idempotent: a duplicate
-- changes nothing and returns the leases still being revoked.
-- KEYS: 1 task, 2 active tasks, 3 deadline
-- ARGV: 1 key prefix (with hash tag), 2 task id, 3 end state, 4 now ms, 5 reason
-- Returns {changed (0|1), final state, lease ids needing a revoke job...} or nil for an unknown task.
local prefix = ARGV[1]
if redis.call("EXISTS", KEYS[1]) == 0 then return nil end
local changed = 0
local out = {}
local queue = {ARGV[2]}
local seen = {}
while #queue > 0 do
  local tid = table.remove(queue)
  if not seen[tid] then
    seen[tid] = true
    local tkey = prefix .. "task:" .. tid
    if redis.call("HGET", tkey, "state") == "active" then
      redis.call("HSET", tkey, "state", ARGV[3], "ended", ARGV[4], "end_reason", ARGV[5])
      redis.call("ZREM", KEYS[2], tid)
      if tid == ARGV[2] then changed = 1 end
    end
    for _, id in ipairs(redis.call("ZRANGE", tkey .. ":leases", 0, -1)) do
      local lkey = prefix .. "lease:" .. id
      local state = redis.call("HGET", lkey, "state")
      if state == "active" then
        redis.call("HSET", lkey, "state", "revoking", "reason", ARGV[5], "revoke_req", ARGV[4])
        redis.call("ZADD", KEYS[3], tonumber(ARGV[4]), id)
        out[#out + 1] = id
      elseif state == "revoking" or state == "revoke_failed" then
        out[#out + 1] = id
      elseif state == "pending" then
        redis.call("HSETNX", lkey, "cancel", ARGV[5])
      end
    end
    for _, child in ipairs(redis.call("SMEMBERS", tkey .. ":children")) do
      queue[#queue + 1] = child
    end
  end
end
local result = {changed, redis.call("HGET", KEYS[1], "state")}
for _, id in ipairs(out) do result[#result + 1] = id end
return result
