-- Moves a lease's count in the trust file's pools from its shard's counters (`qlive`: where a store with one shard
-- counted it) to places on the pools' home shards, which the caller has just reserved (sharded/seed.ts): its end
-- then gives them back through its receipt (`qhome`), as for a lease issued sharded. Done once per lease: a rerun
-- finds `qlive` gone, or changed, and does nothing.
-- KEYS: 1 lease, 2 counters
-- ARGV: 1 the lease's `qlive` as the caller read it, 2 the pools (json)
if redis.call("HGET", KEYS[1], "qlive") ~= ARGV[1] then return 0 end
for _, field in ipairs(cjson.decode(ARGV[1])) do
  if redis.call("HINCRBY", KEYS[2], field, -1) <= 0 then redis.call("HDEL", KEYS[2], field) end
end
redis.call("HSET", KEYS[1], "qhome", ARGV[2])
redis.call("HDEL", KEYS[1], "qlive")
return 1
