-- Registers a task unless one with this id exists.
-- KEYS: 1 task, 2 active tasks, 3 parent's children, 4 the delegations of the parent's agent (both the keyspace's
--   `none` key for a root task), 5 the tasks of the task's agent
-- ARGV: 1 task id, 2 deadline ms, 3 parent id or "", 4.. hash fields. Returns 1 when created, 0 when the id was taken.
-- All keys share the prefix's hash tag, so they live in one Redis Cluster slot.
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], unpack(ARGV, 4))
redis.call("ZADD", KEYS[2], tonumber(ARGV[2]), ARGV[1])
if ARGV[3] ~= "" then
  redis.call("SADD", KEYS[3], ARGV[1])
  redis.call("SADD", KEYS[4], ARGV[1])
end
-- The agent's tasks by deadline, which its reader prunes; the key lives until the last deadline it holds (plus a
-- minute), measured from the task's creation so no clock but the caller's is read.
redis.call("ZADD", KEYS[5], tonumber(ARGV[2]), ARGV[1])
local ttl = tonumber(ARGV[2]) - tonumber(redis.call("HGET", KEYS[1], "created")) + 60000
if ttl > redis.call("PTTL", KEYS[5]) then redis.call("PEXPIRE", KEYS[5], ttl) end
return 1
