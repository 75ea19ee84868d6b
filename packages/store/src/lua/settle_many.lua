-- Orders and confirms at once the end of leases already dead at their provider (a whole-target cut, or task tokens,
-- which die in the store), each with its receipt: one call per batch instead of two round trips per lease. A lease
-- already being revoked keeps its first order (and cause); a pending one is only flagged, as by an order.
-- KEYS: 1 deadline, 2 live leases per agent, 3 live leases per provider, 4 counters, 5 audit outbox,
--       6 ended leases, 7.. the lease of each id (KEYS[6 + i] belongs to ARGV[6 + i])
-- ARGV: 1 now ms, 2 cause, 3 actor, 4 campaign id or "", 5 policies json or "", 6 receipt detail json or "",
--       7.. lease ids
-- Returns the ids this call ended. Every key is declared and shares the prefix's hash tag (one Cluster slot).
--@include lease_end
local k = {
  deadline = KEYS[1], agents = KEYS[2], providers = KEYS[3], counters = KEYS[4], outbox = KEYS[5], ended = KEYS[6],
}
local now = tonumber(ARGV[1])
local extra = nil
if ARGV[6] ~= "" then extra = cjson.decode(ARGV[6]) end
local out = {}
for i = 7, #ARGV do
  local id = ARGV[i]
  local lease = KEYS[i]
  local ordered = order_lease(lease, now, ARGV[2], ARGV[3], ARGV[4], ARGV[5])
  if ordered == "ordered" or ordered == "ordering" then
    if end_lease(k, lease, id, "revoked", now, extra) ~= nil then out[#out + 1] = id end
  end
end
return out
