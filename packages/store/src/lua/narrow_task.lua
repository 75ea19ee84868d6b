-- Orders the revocation of the live leases of a narrowed task tree that the caller judged outside its new ceiling
-- (cause `ceiling_narrowed`, the actor, now). The ceiling was recorded before the caller read the tree
-- (narrow_fence.lua), so every lease written ahead before that is among those it judged, and one written after
-- is aborted by its own issuance: nothing is left out, however fast leases keep being asked for.
-- KEYS: 1 deadline, 2.. the hash of each lease judged outside, in the order of ARGV's ids
-- ARGV: 1 now ms, 2 actor, 3.. the ids judged outside
-- Returns {"narrowed", r, r revoked ids..., ids needing a revoke job...}.
--@include lease_end
--@include order_many
local ids, lease_of = {}, {}
for i = 3, #ARGV do
  ids[#ids + 1] = ARGV[i]
  lease_of[ARGV[i]] = KEYS[i - 1]
end
return order_many({"narrowed"}, ids, lease_of, KEYS[1], tonumber(ARGV[1]), "ceiling_narrowed", ARGV[2])
