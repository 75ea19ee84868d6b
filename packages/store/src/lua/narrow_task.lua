-- Narrows an active task's ceiling and, in the same step, orders the revocation of the live leases of the task and
-- of every descendant that the caller judged outside the new ceiling (cause `ceiling_narrowed`, the actor, now).
-- The caller judges (the ceiling grammar lives in TypeScript); the script checks that it judged every `pending`
-- or `active` lease of the tree as it is now, so a lease written ahead meanwhile is never left out: either it is
-- here (judged, or named back as unjudged) or it was written after this step and its issuance reads the new ceiling.
-- KEYS: 1 task, 2 deadline, 3 pending, 4.. every other key of the walk (each tree task's `:leases` and `:children`,
--       each live lease's hash), as the caller read them just before.
-- ARGV: 1 key prefix, 2 task id, 3 the ceiling json the caller judged against (refused if the task's is another),
--       4 the new ceiling json, 5 now ms, 6 actor, 7 n, 8..7+n ids judged outside, then the ids judged inside.
-- Returns nil for an unknown task; {"not_active", state}; {"changed"}; {"missing", key names...} or
-- {"unjudged", lease ids...} without changing anything (the caller declares, judges and calls again); or
-- {"narrowed", r, r revoked ids..., ids needing a revoke job...}.
--@include lease_end
--@include order_many
--@include task_tree
local prefix = ARGV[1]
local state = redis.call("HGET", KEYS[1], "state")
if not state then return nil end
if state ~= "active" then return {"not_active", state} end
if redis.call("HGET", KEYS[1], "ceiling") ~= ARGV[3] then return {"changed"} end

local n = tonumber(ARGV[7])
local outside, judged = {}, {}
for i = 8, #ARGV do
  judged[ARGV[i]] = true
  if i < 8 + n then outside[#outside + 1] = ARGV[i] end
end
local unjudged, in_tree = {}, {}

walk_tasks(prefix, {ARGV[2]}, function(tid)
  local task_leases = key(prefix .. "task:" .. tid .. ":leases")
  if not task_leases then return end
  for _, id in ipairs(redis.call("ZRANGE", task_leases, 0, -1)) do
    -- Live leases are exactly those in `pending` or `deadline`: only they need reading.
    if redis.call("ZSCORE", KEYS[3], id) or redis.call("ZSCORE", KEYS[2], id) then
      local lease = key(prefix .. "lease:" .. id)
      if lease then
        in_tree[id] = lease
        local s = redis.call("HGET", lease, "state")
        if (s == "pending" or s == "active") and not judged[id] then unjudged[#unjudged + 1] = id end
      end
    end
  end
end)
local incomplete = missing_reply()
if incomplete then return incomplete end
if #unjudged > 0 then
  table.insert(unjudged, 1, "unjudged")
  return unjudged
end

redis.call("HSET", KEYS[1], "ceiling", ARGV[4], "narrowed", ARGV[5], "narrowed_by", ARGV[6])
return order_many({"narrowed"}, outside, in_tree, KEYS[2], tonumber(ARGV[5]), "ceiling_narrowed", ARGV[6])
