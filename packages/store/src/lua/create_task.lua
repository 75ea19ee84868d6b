-- Registers a task unless one with this id exists. A task registered while an identity it depends on (its agent, or
-- any agent above it) is suspended is marked `susp` as suspend_agent.lua marks the tasks it reaches, so an issuance
-- in one step under it (create_active.lua) checks the suspensions in its step: no API process's view of the
-- suspensions is needed for that. Its parent's mark covers every agent above the parent (the parent was marked when
-- registered, or reached by the suspension's walk), so only the two nearest agents are read.
-- KEYS: 1 task, 2 active tasks, 3 parent's children, 4 the delegations of the parent's agent (both the keyspace's
--   `none` key for a root task), 5 the tasks of the task's agent, 6 suspensions, 7 the parent task (`none` for a root)
-- ARGV: 1 task id, 2 deadline ms, 3 parent id or "", 4 created ms, 5 its agent, 6 the parent's agent or "", 7.. hash
--       fields.
-- Returns 1 when created, 2 when created marked `susp`, 0 when the id was taken.
-- All keys share the prefix's hash tag, so they live in one Redis Cluster slot.
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], unpack(ARGV, 7))
redis.call("ZADD", KEYS[2], tonumber(ARGV[2]), ARGV[1])
if ARGV[3] ~= "" then
  redis.call("SADD", KEYS[3], ARGV[1])
  redis.call("SADD", KEYS[4], ARGV[1])
end
-- The agent's tasks by deadline, which its reader prunes; the key lives until the last deadline it holds (plus a
-- minute), measured from the task's creation so no clock but the caller's is read.
local created = tonumber(ARGV[4])
redis.call("ZADD", KEYS[5], tonumber(ARGV[2]), ARGV[1])
local ttl = tonumber(ARGV[2]) - created + 60000
if ttl > redis.call("PTTL", KEYS[5]) then redis.call("PEXPIRE", KEYS[5], ttl) end
local reached = ARGV[3] ~= "" and redis.call("HGET", KEYS[7], "susp") == "1"
if not reached then
  local agents = ARGV[6] ~= "" and {ARGV[5], ARGV[6]} or {ARGV[5]}
  for _, raw in ipairs(redis.call("HMGET", KEYS[6], unpack(agents))) do
    if raw then
      local lifts = cjson.decode(raw)["until"]
      if type(lifts) ~= "number" or lifts > created then reached = true end
    end
  end
end
if not reached then return 1 end
redis.call("HSET", KEYS[1], "susp", "1")
return 2
