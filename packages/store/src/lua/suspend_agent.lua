-- Suspends an agent (or replaces its suspension) and, in the same step, orders the revocation of its live leases
-- and, when asked, of those of every task descending from its tasks (its delegates'), with cause `agent_suspended`,
-- the actor and now. It also stamps every active task a lease could depend on the agent through (its own whose
-- deadline is ahead, and every task below them, whatever `include delegates` says): an issuance in one step
-- (create_active.lua) that read such a task before finds its `stamp` moved and refuses, and one that reads it after
-- sees `susp` and checks the suspensions in its step. From this step on its requests are refused, and issuance
-- written ahead re-reads suspensions after its write-ahead, so a lease written meanwhile is either found here or
-- sees the suspension.
-- KEYS: 1 suspensions (hash agent -> json), 2 suspensions by until (zset), 3 deadline, 4 pending, 5 the agent's
--       leases, 6 the agent's delegations, 7 the agent's tasks (zset by deadline), 8.. every other key of the walks
--       (each delegated task's `:leases` and `:children`, each live lease's hash, each task's hash), as the caller
--       read them just before.
-- ARGV: 1 key prefix, 2 agent, 3 suspension json, 4 until ms or "", 5 now ms, 6 actor, 7 "1" to include delegates,
--       8 the suspensions' channel, on which the agent is named in the same step (suspension-view.ts)
-- Returns {"missing", key names...} without changing anything (the caller declares them and calls again), or
-- {"suspended", previous json or "", r, r revoked ids..., ids needing a revoke job...}.
--@include lease_end
--@include order_many
--@include task_tree
local prefix = ARGV[1]
local live = {}
local function collect(index)
  for _, id in ipairs(redis.call("ZRANGE", index, 0, -1)) do
    if redis.call("ZSCORE", KEYS[4], id) or redis.call("ZSCORE", KEYS[3], id) then
      local lease = key(prefix .. "lease:" .. id)
      if lease then live[id] = lease end
    end
  end
end

collect(KEYS[5])
if ARGV[7] == "1" then
  walk_tasks(prefix, redis.call("SMEMBERS", KEYS[6]), function(tid)
    local task_leases = key(prefix .. "task:" .. tid .. ":leases")
    if task_leases then collect(task_leases) end
  end)
end
local stamped = {}
walk_tasks(prefix, redis.call("ZRANGEBYSCORE", KEYS[7], ARGV[5], "+inf"), function(tid)
  local task = key(prefix .. "task:" .. tid)
  if task then stamped[#stamped + 1] = task end
end)
local incomplete = missing_reply()
if incomplete then return incomplete end

for _, task in ipairs(stamped) do
  if redis.call("HGET", task, "state") == "active" then
    redis.call("HINCRBY", task, "stamp", 1)
    redis.call("HSET", task, "susp", "1")
  end
end
local previous = redis.call("HGET", KEYS[1], ARGV[2]) or ""
redis.call("HSET", KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] ~= "" then
  redis.call("ZADD", KEYS[2], tonumber(ARGV[4]), ARGV[2])
else
  redis.call("ZREM", KEYS[2], ARGV[2])
end
redis.call("PUBLISH", ARGV[8], cjson.encode({t = "s", agent = ARGV[2]}))
local ids = {}
for id in pairs(live) do ids[#ids + 1] = id end
table.sort(ids)
return order_many({"suspended", previous}, ids, live, KEYS[3], tonumber(ARGV[5]), "agent_suspended", ARGV[6])
