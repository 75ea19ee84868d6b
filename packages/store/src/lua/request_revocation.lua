-- Orders the revocation of leases: active ones go to `revoking` and become due now; ones already being revoked
-- stay as they are; pending ones are flagged so activation revokes them at once. Returns the ids that need a job.
-- KEYS: 1 deadline
-- ARGV: 1 key prefix (with hash tag), 2 now ms, 3 reason, 4 campaign id or "", 5.. lease ids
-- Lease keys are derived from the prefix and share its hash tag.
local out = {}
local now = tonumber(ARGV[2])
for i = 5, #ARGV do
  local id = ARGV[i]
  local key = ARGV[1] .. "lease:" .. id
  local state = redis.call("HGET", key, "state")
  if state == "active" then
    redis.call("HSET", key, "state", "revoking", "reason", ARGV[3], "revoke_req", ARGV[2])
    if ARGV[4] ~= "" then redis.call("HSET", key, "campaign", ARGV[4]) end
    redis.call("ZADD", KEYS[1], now, id)
    out[#out + 1] = id
  elseif state == "revoking" or state == "revoke_failed" then
    if ARGV[4] ~= "" then redis.call("HSETNX", key, "campaign", ARGV[4]) end
    redis.call("ZADD", KEYS[1], now, id)
    out[#out + 1] = id
  elseif state == "pending" then
    redis.call("HSETNX", key, "cancel", ARGV[3])
    if ARGV[4] ~= "" then redis.call("HSETNX", key, "campaign", ARGV[4]) end
  end
end
return out
