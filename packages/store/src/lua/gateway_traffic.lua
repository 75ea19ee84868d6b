-- A batch of gateway traffic added to its counter hashes (one per lease, one per agent and UTC day) in one call.
-- KEYS: the hashes
-- ARGV: 1 now (ms), 2 expiry (ms after now); then for each key in order: n, n pairs (field, increment), m, m field
--       prefixes whose `first` (if unset) and `last` become now
local now, ttl = ARGV[1], ARGV[2]
local a = 3
for _, key in ipairs(KEYS) do
  local n = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, n do
    redis.call("HINCRBY", key, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  local m = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, m do
    redis.call("HSETNX", key, ARGV[a] .. "first", now)
    redis.call("HSET", key, ARGV[a] .. "last", now)
    a = a + 1
  end
  redis.call("PEXPIRE", key, ttl)
end
return #KEYS
