-- Ends a live lease: revoking|revoke_failed -> revoked, or active -> expired (natural expiry confirmed).
-- KEYS: 1 lease, 2 deadline, 3 live leases per agent, 4 live leases per provider, 5 counters
-- ARGV: 1 lease id, 2 now ms, 3 target state ("revoked" | "expired")
-- Returns {1, campaign id or ""} when this call ended the lease, {0, ""} when it was not in a state that allows it.
local state = redis.call("HGET", KEYS[1], "state")
local allowed = false
if ARGV[3] == "revoked" then
  allowed = state == "revoking" or state == "revoke_failed"
elseif ARGV[3] == "expired" then
  allowed = state == "active"
end
if not allowed then return {0, ""} end
redis.call("HSET", KEYS[1], "state", ARGV[3], "revoked_at", ARGV[2])
if ARGV[3] == "expired" then redis.call("HSETNX", KEYS[1], "reason", "expired") end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("HINCRBY", KEYS[3], redis.call("HGET", KEYS[1], "agent"), -1)
redis.call("HINCRBY", KEYS[4], redis.call("HGET", KEYS[1], "provider"), -1)
if state == "revoke_failed" then redis.call("HINCRBY", KEYS[5], "revoke_failed", -1) end
return {1, redis.call("HGET", KEYS[1], "campaign") or ""}
