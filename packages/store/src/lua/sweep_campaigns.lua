-- Retention: removes campaigns completed before a cutoff: record, target list, counting sets and index entries.
-- KEYS: 1 completed campaigns, 2 all campaigns, then 5 per campaign: its hash, targets, ended, failing, cuts
-- ARGV: 1 cutoff ms, 2.. campaign ids (the keys of ARGV[1 + i] are KEYS[3 + 5 (i - 1)] to KEYS[7 + 5 (i - 1)])
-- Returns how many were removed. Every key is declared and shares the prefix's hash tag (one Cluster slot).
local cutoff = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local base = 2 + 5 * (i - 2)
  local completed = tonumber(redis.call("ZSCORE", KEYS[1], id))
  if completed and completed <= cutoff then
    redis.call("DEL", KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4], KEYS[base + 5])
    redis.call("ZREM", KEYS[2], id)
    redis.call("ZREM", KEYS[1], id)
    removed = removed + 1
  end
end
return removed
