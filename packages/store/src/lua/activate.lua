-- pending -> active, and schedules the lease's end in the deadline index. If a revocation arrived while it was
-- pending (its task ended, the agent returned it, a campaign selected it), it goes straight on to `revoking`, with
-- that order's cause, actor and instant (or, for a task that ended meanwhile, the task's).
-- KEYS: 1 lease, 2 task, 3 pending, 4 deadline
-- ARGV: 1 lease id, 2 now ms, 3 handle json, 4 provider expiry ms, 5 scope json
-- One read of the lease for its state, an order that came while it was pending, and its expiry: the HSET below
-- changes none of them.
local f = redis.call("HMGET", KEYS[1], "state", "cancel", "cancel_by", "cancel_at", "expires")
local state = f[1]
if state ~= "pending" then
  return redis.error_reply("CONFLICT lease is " .. tostring(state))
end
local id = ARGV[1]
redis.call("ZREM", KEYS[3], id)
redis.call("HSET", KEYS[1], "state", "active", "handle", ARGV[3], "pexp", ARGV[4], "scope", ARGV[5])
local task = redis.call("HMGET", KEYS[2], "state", "ended", "ended_by")
if task[1] ~= "active" or f[2] then
  local cause, by, at = f[2], f[3], f[4]
  if not cause then
    cause = "task_" .. tostring(task[1])
    by = task[3]
    at = task[2]
  end
  redis.call("HSET", KEYS[1], "state", "revoking", "reason", cause, "by", by or "leash", "revoke_req", at or ARGV[2])
  redis.call("ZADD", KEYS[4], tonumber(ARGV[2]), id)
  return "revoke"
end
redis.call("ZADD", KEYS[4], tonumber(f[5]), id)
return "active"
