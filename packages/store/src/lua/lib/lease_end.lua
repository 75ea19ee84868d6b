-- Shared by the scripts that order or end leases (included where a script says `--@include lease_end`).
--
-- Receipts: the audit event of a lease's end is written by the very transition that ends it, so there is exactly
-- one per lease however often a job, a retry or a replay repeats the transition. It goes to the audit outbox, a
-- list in the same slot; the audit log then chains outbox entries in order (audit_append.lua), because Redis Lua
-- has no SHA-256 to extend the hash chain here.

local CAUSES = {
  task_completed = true, task_cancelled = true, task_expired = true, returned = true, expired = true,
  campaign = true, ceiling_narrowed = true, policy_changed = true, agent_suspended = true,
  break_glass_ended = true, security = true,
}

-- Leases ordered before causes were recorded carry a free-text reason: map it onto the vocabulary.
local function cause_of(reason)
  if not reason then return "security" end
  if CAUSES[reason] then return reason end
  local task_end = string.match(reason, "^task (%a+)$")
  if task_end and CAUSES["task_" .. task_end] then return "task_" .. task_end end
  if reason == "returned by agent" then return "returned" end
  if reason == "lease expired" then return "expired" end
  if string.sub(reason, 1, 11) == "revocation " then return "campaign" end
  return "security"
end

-- Active -> revoking with who ordered it, why and when; a lease already being revoked keeps its first order; a
-- pending one is flagged so that activation revokes it with this order. Returns "ordered" (needs a job),
-- "ordering" (already ordered, needs a job), "pending" or nil (ended: nothing to do). `known` is the lease's state
-- when the caller has just read it (nil: read it here).
local function order_lease(lease, now, cause, actor, campaign, policies, known)
  local state = known
  if state == nil then state = redis.call("HGET", lease, "state") end
  if state == "active" then
    redis.call("HSET", lease, "state", "revoking", "reason", cause, "by", actor, "revoke_req", now)
    if campaign ~= "" then redis.call("HSET", lease, "campaign", campaign) end
    if policies ~= "" then redis.call("HSET", lease, "policies", policies) end
    return "ordered"
  elseif state == "revoking" or state == "revoke_failed" then
    if campaign ~= "" then redis.call("HSETNX", lease, "campaign", campaign) end
    return "ordering"
  elseif state == "pending" then
    if redis.call("HSETNX", lease, "cancel", cause) == 1 then
      redis.call("HSET", lease, "cancel_by", actor, "cancel_at", now)
      if policies ~= "" then redis.call("HSET", lease, "policies", policies) end
    end
    if campaign ~= "" then redis.call("HSETNX", lease, "campaign", campaign) end
    return "pending"
  end
  return nil
end

-- Ends a live lease: revoking|revoke_failed -> revoked, or active -> expired (natural expiry), and writes its
-- receipt. `k` holds the keys: deadline, agents (live per agent), providers (live per provider), counters, outbox,
-- ended (ended leases by end time, for the retention sweep).
-- `extra` (a table or nil) is added to the receipt's detail. Returns the lease's campaign id ("" for none) when it
-- ended the lease, nil when the lease was not in a state that allows it. `known` is the lease's state when the caller
-- has just set or read it (nil: read it here).
local function end_lease(k, lease, id, state, now, extra, known)
  local prior = known
  if prior == nil then prior = redis.call("HGET", lease, "state") end
  if state == "revoked" then
    if prior ~= "revoking" and prior ~= "revoke_failed" then return nil end
  elseif state == "expired" then
    if prior ~= "active" then return nil end
  else
    return nil
  end
  redis.call("HSET", lease, "state", state, "revoked_at", now)
  if state == "expired" then redis.call("HSET", lease, "reason", "expired", "by", "leash") end
  redis.call("ZREM", k.deadline, id)
  redis.call("ZADD", k.ended, now, id)
  local f = redis.call("HMGET", lease, "agent", "task", "provider", "target", "reason", "by", "revoke_req",
    "campaign", "policies", "expires", "via", "qhome")
  local agent, provider = f[1], f[3]
  if redis.call("HINCRBY", k.agents, agent, -1) <= 0 then redis.call("HDEL", k.agents, agent) end
  redis.call("HINCRBY", k.providers, provider, -1)
  -- Its quota pools' live counts (the fields create_pending.lua counted it in): a slot frees at the end.
  local counted = redis.call("HGET", lease, "qlive")
  if counted then
    for _, field in ipairs(cjson.decode(counted)) do
      if redis.call("HINCRBY", k.counters, field, -1) <= 0 then redis.call("HDEL", k.counters, field) end
    end
  end
  if prior == "revoke_failed" then redis.call("HINCRBY", k.counters, "revoke_failed", -1) end

  local cause = cause_of(f[5])
  local ordered = tonumber(f[7])
  if state == "expired" or not ordered then ordered = tonumber(f[10]) end
  local detail = { provider = provider }
  if f[4] then detail.target = f[4] end
  if f[8] then detail.campaign = f[8] end
  if f[11] then detail.ended_task = f[11] end
  -- The pools it holds a place in on their home shard (several shards only): chaining this receipt frees them.
  if f[12] then detail.quota_pools = cjson.decode(f[12]) end
  if extra then
    for name, value in pairs(extra) do detail[name] = value end
  end
  local event = {
    ts = now,
    type = cause == "expired" and "lease.expired" or "lease.revoked",
    actor = f[6] or "leash",
    agent = agent,
    taskId = f[2],
    leaseId = id,
    outcome = "ok",
    cause = cause,
    orderedAt = ordered,
    confirmedAt = now,
    detail = detail,
  }
  if f[9] then event.policies = cjson.decode(f[9]) end
  if cause ~= f[5] then redis.call("HSET", lease, "reason", cause) end
  redis.call("RPUSH", k.outbox, cjson.encode(event))
  return f[8] or ""
end
