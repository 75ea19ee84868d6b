-- Retention: removes tasks that ended before a cutoff, with their index entries. A task goes only once none of its
-- leases and none of its sub-tasks is left (they go first, by their own end), so no lease points at a missing task
-- and no task at a missing parent; until then it is deferred (counted, left in place).
-- KEYS: 1 ended tasks, then 6 per task: its hash, its leases, its sub-tasks, its parent's sub-tasks, the
--       delegations of its parent's agent (both the keyspace's `none` key for a root task), its agent's tasks
-- ARGV: 1 cutoff ms, 2.. task ids (the keys of ARGV[1 + i] are KEYS[2 + 6 (i - 1)] to KEYS[7 + 6 (i - 1)])
-- Returns {removed, deferred}. Every key is declared and shares the prefix's hash tag (one Cluster slot).
local cutoff = tonumber(ARGV[1])
local removed, deferred = 0, 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local base = 1 + 6 * (i - 2)
  local task, leases, children = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3]
  local siblings, delegations, agent_tasks = KEYS[base + 4], KEYS[base + 5], KEYS[base + 6]
  local ended = tonumber(redis.call("ZSCORE", KEYS[1], id))
  if ended and ended <= cutoff then
    local state = redis.call("HGET", task, "state")
    if state == "active" then
      redis.call("ZREM", KEYS[1], id)
    elseif redis.call("ZCARD", leases) > 0 or redis.call("SCARD", children) > 0 then
      deferred = deferred + 1
    else
      redis.call("DEL", task, leases, children)
      redis.call("SREM", siblings, id)
      redis.call("SREM", delegations, id)
      redis.call("ZREM", agent_tasks, id)
      redis.call("ZREM", KEYS[1], id)
      removed = removed + 1
    end
  end
end
return {removed, deferred}
