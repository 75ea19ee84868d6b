-- Orders the revocation of leases: active ones go to `revoking` and become due at the order's instant, recording
-- cause, actor and instant (their receipt names them); ones already being revoked keep their first order; pending
-- ones are flagged so activation revokes them at once. Returns the ids that need a job.
-- KEYS: 1 deadline, 2.. the lease of each id (KEYS[1 + i] belongs to ARGV[5 + i])
-- ARGV: 1 order instant ms, 2 cause, 3 actor, 4 campaign id or "", 5 policies json or "", 6.. lease ids
-- Every key is declared and shares the prefix's hash tag, so Redis Cluster routes and checks them as one slot.
--@include lease_end
local out = {}
local now = tonumber(ARGV[1])
for i = 6, #ARGV do
  local id = ARGV[i]
  local ordered = order_lease(KEYS[i - 4], now, ARGV[2], ARGV[3], ARGV[4], ARGV[5])
  if ordered == "ordered" or ordered == "ordering" then
    redis.call("ZADD", KEYS[1], now, id)
    out[#out + 1] = id
  end
end
return out
