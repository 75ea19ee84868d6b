-- Issuance in one step, for credentials that die in the store (Leash-signed tokens: nothing exists outside Redis
-- before the answer leaves, so there is nothing to write ahead of): records the lease `active` and schedules its
-- end in the deadline index, after checking here, atomically, what the issuance read before signing: its task is
-- still active, neither it nor an ancestor narrowed or reached by a suspension since (their `stamp`, which
-- narrow_fence.lua and suspend_agent.lua move), and, under a task a suspension reached before, no identity it
-- depends on suspended. A change that lands before this step refuses the lease; one that lands after finds it live
-- and orders its revocation. Quotas and the idempotency key as in the write-ahead.
-- KEYS: 1 lease, 2 task leases, 3 agent leases, 4 all leases, 5 deadline, 6 idempotency key (or `none`), 7 live
--       leases per agent, 8 live leases per provider, 9 counters, 10 suspensions, 11..10+t the lease's task then
--       its ancestors, then two per pool (lib/lease_write.lua)
-- ARGV: 1 lease id, 2 now ms, 3 idempotency value or "", 4 idempotency ttl ms, 5 t, 6..5+t each task's stamp as
--       read ("" to check none), then the number of agents a and the agents whose suspension refuses the lease,
--       then the pools (lib/lease_write.lua), then the hash fields
-- Returns the earlier idempotency value, nil when written, {"quota", ...} as the write-ahead, or
-- {"refused", "task_not_active" | "changed" | "agent_suspended"}.
--@include lease_write
if ARGV[3] ~= "" then
  local existing = redis.call("GET", KEYS[6])
  if existing then return existing end
end
local id = ARGV[1]
local now = tonumber(ARGV[2])
local t = tonumber(ARGV[5])
for i = 1, t do
  local f = redis.call("HMGET", KEYS[10 + i], "state", "stamp")
  -- A task's end ends its sub-tasks in the same step, so the lease's own task is the one to look at.
  if i == 1 and f[1] ~= "active" then return {"refused", "task_not_active"} end
  if ARGV[5 + i] ~= "" and (f[2] or "0") ~= ARGV[5 + i] then return {"refused", "changed"} end
end
local a = 6 + t
local agents = tonumber(ARGV[a])
if agents > 0 then
  for _, raw in ipairs(redis.call("HMGET", KEYS[10], unpack(ARGV, a + 1, a + agents))) do
    if raw then
      local lifts = cjson.decode(raw)["until"]
      if type(lifts) ~= "number" or lifts > now then return {"refused", "agent_suspended"} end
    end
  end
end
local all = pools_at(a + agents + 1, 11 + t)
local refusal = check_pools(all, KEYS[9], now)
if refusal then return refusal end
local fields = {unpack(ARGV, a + agents + 2 + 5 * #all)}
local expires
for i = 1, #fields - 1, 2 do
  if fields[i] == "expires" then expires = tonumber(fields[i + 1]) end
end
local keys = {
  lease = KEYS[1], task_leases = KEYS[2], agent_leases = KEYS[3], leases = KEYS[4], idem = KEYS[6],
  agents = KEYS[7], providers = KEYS[8],
}
write_lease(keys, id, fields, KEYS[5], expires, ARGV[3], tonumber(ARGV[4]))
count_pools(all, KEYS[9], KEYS[1], id, now)
return false
