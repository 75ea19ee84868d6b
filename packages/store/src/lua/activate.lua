-- pending -> active, and schedules the lease's end in the deadline index. If a revocation arrived while it was
-- pending (its task ended, the agent returned it, a campaign selected it), it goes straight on to `revoking`.
-- KEYS: 1 lease, 2 task, 3 pending, 4 deadline
-- ARGV: 1 lease id, 2 now ms, 3 handle json, 4 provider expiry ms, 5 scope json
local state = redis.call("HGET", KEYS[1], "state")
if state ~= "pending" then
  return redis.error_reply("CONFLICT lease is " .. tostring(state))
end
local id = ARGV[1]
redis.call("ZREM", KEYS[3], id)
redis.call("HSET", KEYS[1], "state", "active", "handle", ARGV[3], "pexp", ARGV[4], "scope", ARGV[5])
local task_state = redis.call("HGET", KEYS[2], "state")
local cancel = redis.call("HGET", KEYS[1], "cancel")
if task_state ~= "active" or cancel then
  local reason = cancel or ("task " .. tostring(task_state))
  redis.call("HSET", KEYS[1], "state", "revoking", "reason", reason, "revoke_req", ARGV[2])
  redis.call("ZADD", KEYS[4], tonumber(ARGV[2]), id)
  return "revoke"
end
redis.call("ZADD", KEYS[4], tonumber(redis.call("HGET", KEYS[1], "expires")), id)
return "active"
