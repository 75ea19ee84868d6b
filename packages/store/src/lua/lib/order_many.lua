-- Shared by the scripts that change who may hold what and revoke, in the same step, what no longer holds (a
-- narrowing, a suspension). Needs lease_end's order_lease (include lease_end first).
--
-- Orders the revocation of each lease of `ids` (`lease_of[id]` is its declared key; ids without one are skipped):
-- active ones go to `revoking`, due now in `deadline`; pending ones are flagged so their activation revokes them.
-- Appends to `out` the count of leases this call ordered (a pending one counts once, when first flagged), those
-- ids, then the ids that need a revoke job (the ordered active ones, and ones already being revoked).
local function order_many(out, ids, lease_of, deadline, now, cause, actor)
  local revoked, due = {}, {}
  for _, id in ipairs(ids) do
    local lease = lease_of[id]
    if lease then
      local flagged = redis.call("HEXISTS", lease, "cancel") == 1
      local ordered = order_lease(lease, now, cause, actor, "", "")
      if ordered == "ordered" then
        redis.call("ZADD", deadline, now, id)
        revoked[#revoked + 1] = id
        due[#due + 1] = id
      elseif ordered == "pending" and not flagged then
        revoked[#revoked + 1] = id
      elseif ordered == "ordering" then
        due[#due + 1] = id
      end
    end
  end
  out[#out + 1] = #revoked
  for _, id in ipairs(revoked) do out[#out + 1] = id end
  for _, id in ipairs(due) do out[#out + 1] = id end
  return out
end
