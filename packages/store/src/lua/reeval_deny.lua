-- Records the leases a re-evaluation denies and, unless it is a dry run, orders their revocation with cause
-- `policy_changed` and the denying policies, in the same step: each lease is recorded once per run (so a chunk done
-- again after a crash counts and orders nothing twice). A lease whose credential dies in the store is ended at once,
-- with its receipt; a pending one is flagged so its activation revokes it.
-- KEYS: 1 run, 2 its denied leases (hash: id -> policies), 3 its counts by policy, 4 its sample (dry runs),
--       5 deadline, 6 live leases per agent, 7 live leases per provider, 8 counters, 9 audit outbox, 10 ended leases,
--       11.. the lease of each id (KEYS[10 + i] belongs to the i-th group of ARGV)
-- ARGV: 1 now ms, 2 actor, 3 "1" for a dry run, then per lease: id, policies json, "1" to settle at once,
--       sample json (dry runs) or ""
-- Returns the ids that need a revoke job. All keys share the prefix's hash tag (one Cluster slot).
--@include lease_end
local k = {
  deadline = KEYS[5], agents = KEYS[6], providers = KEYS[7], counters = KEYS[8], outbox = KEYS[9], ended = KEYS[10],
}
local now = tonumber(ARGV[1])
local dry = ARGV[3] == "1"
local out = {}
local i = 0
for a = 4, #ARGV, 4 do
  i = i + 1
  local id, policies, settle, sample = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local lease = KEYS[10 + i]
  if redis.call("HSETNX", KEYS[2], id, policies) == 1 then
    redis.call("HINCRBY", KEYS[1], "denied", 1)
    for _, policy in ipairs(cjson.decode(policies)) do redis.call("HINCRBY", KEYS[3], policy, 1) end
    if dry then
      if redis.call("LLEN", KEYS[4]) < 20 then redis.call("RPUSH", KEYS[4], sample) end
    else
      local ordered = order_lease(lease, now, "policy_changed", ARGV[2], "", policies)
      if ordered == "ordered" or ordered == "pending" then redis.call("HINCRBY", KEYS[1], "revoked", 1) end
      if ordered == "ordered" then
        if settle == "1" then
          end_lease(k, lease, id, "revoked", now, nil)
        else
          out[#out + 1] = id
        end
      end
    end
  end
end
return out
