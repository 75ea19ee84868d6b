-- Write-ahead of a lease: records it `pending` and indexes it before anything exists at the provider. With quota
-- pools, checks them all first and counts the lease in each in the same step, or writes nothing and refuses. The
-- lease id is not checked for existence: ids carry 82 random bits, and a replayed request is the idempotency
-- key's to find.
-- KEYS: 1 lease, 2 task leases, 3 agent leases, 4 all leases, 5 pending, 6 idempotency key (the keyspace's `none`
--       key when the request has none), 7 live leases per agent (hash: agent -> count), 8 live leases per provider,
--       9 counters (a pool's live count is its field `ql:<pool>`), then two per pool (lib/lease_write.lua)
-- ARGV: 1 lease id, 2 now ms, 3 idempotency value ("<lease id> <body hash>", or "" without a key),
--       4 idempotency ttl ms, 5 number of pools n, then five per pool (lib/lease_write.lua), 6 + 5n.. hash fields
-- Returns the earlier idempotency value, nil when written, or {"quota", quota, limit, max, retry-after s or ""}.
-- All keys share the prefix's hash tag, so they live in one Redis Cluster slot.
--@include lease_write
if ARGV[3] ~= "" then
  local existing = redis.call("GET", KEYS[6])
  if existing then return existing end
end
local id = ARGV[1]
local now = tonumber(ARGV[2])
local all = pools_at(5, 10)
local refusal = check_pools(all, KEYS[9], now)
if refusal then return refusal end
local keys = {
  lease = KEYS[1], task_leases = KEYS[2], agent_leases = KEYS[3], leases = KEYS[4], idem = KEYS[6],
  agents = KEYS[7], providers = KEYS[8],
}
write_lease(keys, id, {unpack(ARGV, 6 + 5 * #all)}, KEYS[5], now, ARGV[3], tonumber(ARGV[4]))
count_pools(all, KEYS[9], KEYS[1], id, now)
return false
