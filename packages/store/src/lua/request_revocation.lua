-- Orders the revocation of leases: active ones go to `revoking` and become due now; ones already being revoked
-- stay as they are; pending ones are flagged so activation revokes them at once. Returns the ids that need a job.
-- KEYS: 1 deadline, 2.. the lease of each id (KEYS[1 + i] belongs to ARGV[3 + i])
-- ARGV: 1 now ms, 2 reason, 3 campaign id or "", 4.. lease ids
-- Every key is declared and shares the prefix's hash tag, so Redis Cluster routes and checks them as one slot.
local out = {}
local now = tonumber(ARGV[1])
local reason = ARGV[2]
local campaign = ARGV[3]
for i = 4, #ARGV do
  local id = ARGV[i]
  local lease = KEYS[i - 2]
  local state = redis.call("HGET", lease, "state")
  if state == "active" then
    redis.call("HSET", lease, "state", "revoking", "reason", reason, "revoke_req", ARGV[1])
    if campaign ~= "" then redis.call("HSET", lease, "campaign", campaign) end
    redis.call("ZADD", KEYS[1], now, id)
    out[#out + 1] = id
  elseif state == "revoking" or state == "revoke_failed" then
    if campaign ~= "" then redis.call("HSETNX", lease, "campaign", campaign) end
    redis.call("ZADD", KEYS[1], now, id)
    out[#out + 1] = id
  elseif state == "pending" then
    redis.call("HSETNX", lease, "cancel", reason)
    if campaign ~= "" then redis.call("HSETNX", lease, "campaign", campaign) end
  end
end
return out
