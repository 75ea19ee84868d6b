-- Ends a live lease: revoking|revoke_failed -> revoked, or active -> expired (natural expiry confirmed), and writes
-- its receipt to the audit outbox in the same step.
-- KEYS: 1 lease, 2 deadline, 3 live leases per agent, 4 live leases per provider, 5 counters, 6 audit outbox,
--       7 ended leases
-- ARGV: 1 lease id, 2 now ms, 3 target state ("revoked" | "expired"), 4 receipt detail json ("" for none)
-- Returns {1, campaign id or ""} when this call ended the lease, {0, ""} when it was not in a state that allows it.
-- All keys share the prefix's hash tag, so they live in one Redis Cluster slot.
--@include lease_end
local k = {
  deadline = KEYS[2], agents = KEYS[3], providers = KEYS[4], counters = KEYS[5], outbox = KEYS[6], ended = KEYS[7],
}
local extra = nil
if ARGV[4] ~= "" then extra = cjson.decode(ARGV[4]) end
local campaign = end_lease(k, KEYS[1], ARGV[1], ARGV[3], tonumber(ARGV[2]), extra)
if campaign == nil then return {0, ""} end
return {1, campaign}
