-- Ends a task (completed | cancelled | expired) and every descendant task, and puts all their live leases in
-- `revoking`, due now, in one step, with cause `task_<state>`, the actor and the instant (their receipts name
-- them): from here on introspection reports them inactive. Idempotent: a duplicate changes nothing and returns the
-- leases still being revoked.
-- A lease it orders whose provider revokes in the store (ARGV 6: credentials that die with their lease's state) is
-- ended here too, with its receipt (as settle_many.lua does for campaigns): no revoke job, no worker round trip.
-- KEYS: 1 task, 2 active tasks, 3 deadline, 4 ended tasks, 5 live leases per agent, 6 live leases per provider,
--       7 counters, 8 audit outbox, 9 ended leases, 10.. every other key of the walk (each task's hash, `:leases`
--       and `:children`, each of their leases' hash), as the caller read them just before.
-- ARGV: 1 key prefix (to name the keys of the walk, which must all be declared), 2 task id, 3 end state, 4 now ms,
--       5 actor, 6 providers that revoke in the store, space-separated ("" for none)
-- Returns {changed (0|1), final state, number of leases ended here, their ids..., lease ids needing a revoke
-- job...}, nil for an unknown task, or
-- {"missing", key names...} without changing anything when the tree grew since the caller read it (a new sub-task
-- or lease): the caller declares those keys too and calls again. So the script never touches an undeclared key,
-- and Redis Cluster routes, checks and migrates everything it touches as the one slot of the prefix's hash tag.
--@include lease_end
--@include task_tree
local prefix = ARGV[1]
if redis.call("EXISTS", KEYS[1]) == 0 then return nil end

-- Reads only: the task tree and its leases.
local tasks = {}
local leases = {}
walk_tasks(prefix, {ARGV[2]}, function(tid)
  local task = key(prefix .. "task:" .. tid)
  local task_leases = key(prefix .. "task:" .. tid .. ":leases")
  if task then tasks[#tasks + 1] = {tid, task} end
  if task_leases then
    for _, id in ipairs(redis.call("ZRANGE", task_leases, 0, -1)) do
      local lease = key(prefix .. "lease:" .. id)
      if lease then leases[#leases + 1] = {id, lease, tid} end
    end
  end
end)
local incomplete = missing_reply()
if incomplete then return incomplete end

local now = tonumber(ARGV[4])
local cause = "task_" .. ARGV[3]
local in_store = {}
for name in string.gmatch(ARGV[6] or "", "%S+") do in_store[name] = true end
local k = {
  deadline = KEYS[3], agents = KEYS[5], providers = KEYS[6], counters = KEYS[7], outbox = KEYS[8], ended = KEYS[9],
}
local any_in_store = next(in_store) ~= nil
local changed = 0
for _, t in ipairs(tasks) do
  local tid, task = t[1], t[2]
  if redis.call("HGET", task, "state") == "active" then
    redis.call("HSET", task, "state", ARGV[3], "ended", ARGV[4], "end_reason", cause, "ended_by", ARGV[5])
    redis.call("ZREM", KEYS[2], tid)
    redis.call("ZADD", KEYS[4], now, tid)
    if tid == ARGV[2] then changed = 1 end
  end
end
local out = {}
local settled = {}
for _, l in ipairs(leases) do
  local id, lease, tid = l[1], l[2], l[3]
  -- With providers that revoke in the store, one read gives the state and whether the lease dies here: once
  -- ordered, its provider holds nothing to revoke. A lease counted by a campaign keeps its job, which counts its end
  -- there.
  local f = any_in_store and redis.call("HMGET", lease, "state", "provider", "campaign") or {nil}
  local ordered = order_lease(lease, now, cause, ARGV[5], "", "", f[1])
  if ordered == "ordered" then
    -- Ended because an ancestor task ended: its receipt names that task.
    if tid ~= ARGV[2] then redis.call("HSET", lease, "via", ARGV[2]) end
    local dies = f[2] and in_store[f[2]] and not f[3]
    if dies and end_lease(k, lease, id, "revoked", now, nil, "revoking") ~= nil then
      settled[#settled + 1] = id
      ordered = nil
    else
      redis.call("ZADD", KEYS[3], now, id)
    end
  end
  if ordered == "ordered" or ordered == "ordering" then out[#out + 1] = id end
end
local result = {changed, redis.call("HGET", KEYS[1], "state"), #settled}
for _, id in ipairs(settled) do result[#result + 1] = id end
for _, id in ipairs(out) do result[#result + 1] = id end
return result
