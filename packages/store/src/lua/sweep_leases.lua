-- Retention: removes leases that ended before a cutoff, with every index entry pointing at them, so nothing lists a
-- lease whose record is gone. A lease that is not ended (never the case: only ending scripts add to `ended`) is
-- only dropped from `ended`: a live lease is never removed, whatever its age.
-- KEYS: 1 ended leases, 2 all leases, then 4 per lease: its hash, its task's leases, its agent's leases, its
--       idempotency key (the keyspace's `none` key when it had none)
-- ARGV: 1 cutoff ms, 2.. lease ids (the keys of ARGV[1 + i] are KEYS[3 + 4 (i - 1)] to KEYS[6 + 4 (i - 1)])
-- Returns how many leases were removed. Every key is declared and shares the prefix's hash tag (one Cluster slot).
local TERMINAL = { revoked = true, expired = true, aborted = true }
local cutoff = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local base = 2 + 4 * (i - 2)
  local lease, task_leases, agent_leases, idem = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4]
  local ended = tonumber(redis.call("ZSCORE", KEYS[1], id))
  if ended and ended <= cutoff then
    local state = redis.call("HGET", lease, "state")
    if state and not TERMINAL[state] then
      redis.call("ZREM", KEYS[1], id)
    else
      local key = redis.call("GET", idem)
      if key and string.sub(key, 1, #id + 1) == id .. " " then redis.call("DEL", idem) end
      redis.call("DEL", lease)
      redis.call("ZREM", task_leases, id)
      redis.call("ZREM", agent_leases, id)
      redis.call("ZREM", KEYS[2], id)
      redis.call("ZREM", KEYS[1], id)
      removed = removed + 1
    end
  end
end
return removed
