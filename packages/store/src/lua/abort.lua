-- pending -> aborted: the mint failed or was reclaimed, nothing exists at the provider (so there is no receipt: the
-- issue path audits `lease.mint_failed`, the reconciler `lease.reclaimed`).
-- KEYS: 1 lease, 2 pending, 3 deadline, 4 live leases per agent, 5 live leases per provider, 6 ended leases
-- ARGV: 1 lease id, 2 now ms, 3 reason
local state = redis.call("HGET", KEYS[1], "state")
if state ~= "pending" then return 0 end
redis.call("HSET", KEYS[1], "state", "aborted", "reason", ARGV[3], "revoked_at", ARGV[2])
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("ZREM", KEYS[3], ARGV[1])
redis.call("ZADD", KEYS[6], tonumber(ARGV[2]), ARGV[1])
local agent = redis.call("HGET", KEYS[1], "agent")
if redis.call("HINCRBY", KEYS[4], agent, -1) <= 0 then redis.call("HDEL", KEYS[4], agent) end
redis.call("HINCRBY", KEYS[5], redis.call("HGET", KEYS[1], "provider"), -1)
return 1
