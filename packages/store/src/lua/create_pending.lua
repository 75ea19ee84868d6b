-- Write-ahead of a lease: records it `pending` and indexes it before anything exists at the provider.
-- KEYS: 1 lease, 2 task leases, 3 agent leases, 4 all leases, 5 pending, 6 idempotency key (the keyspace's `none`
--       key when the request has none), 7 live leases per agent (hash: agent -> count), 8 live leases per provider
-- ARGV: 1 lease id, 2 now ms, 3 idempotency value ("<lease id> <body hash>", or "" without a key),
--       4 idempotency ttl ms, 5.. hash fields
-- All keys share the prefix's hash tag, so they live in one Redis Cluster slot.
local idempotent = ARGV[3] ~= ""
if idempotent then
  local existing = redis.call("GET", KEYS[6])
  if existing then return existing end
end
if redis.call("EXISTS", KEYS[1]) == 1 then
  return redis.error_reply("CONFLICT lease exists")
end
redis.call("HSET", KEYS[1], unpack(ARGV, 5))
local id = ARGV[1]
redis.call("ZADD", KEYS[2], 0, id)
redis.call("ZADD", KEYS[3], 0, id)
redis.call("ZADD", KEYS[4], 0, id)
redis.call("ZADD", KEYS[5], tonumber(ARGV[2]), id)
redis.call("HINCRBY", KEYS[7], redis.call("HGET", KEYS[1], "agent"), 1)
redis.call("HINCRBY", KEYS[8], redis.call("HGET", KEYS[1], "provider"), 1)
if idempotent then
  redis.call("SET", KEYS[6], ARGV[3], "PX", tonumber(ARGV[4]))
  -- So the retention sweep removes the key with the lease, should the lease go first.
  redis.call("HSET", KEYS[1], "idem", KEYS[6])
end
return false
