-- revoking -> revoke_failed (it keeps retrying with backoff and stays visible). Returns 1 on the first failure.
-- KEYS: 1 lease, 2 counters
-- ARGV: 1 error text (no secrets)
local state = redis.call("HGET", KEYS[1], "state")
if state == "revoking" then
  redis.call("HSET", KEYS[1], "state", "revoke_failed", "last_error", ARGV[1])
  redis.call("HINCRBY", KEYS[2], "revoke_failed", 1)
  return 1
end
if state == "revoke_failed" then redis.call("HSET", KEYS[1], "last_error", ARGV[1]) end
return 0
