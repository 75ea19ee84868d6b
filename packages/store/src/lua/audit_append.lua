-- Appends a batch of hash-chained audit events if the chain head is still the one the hashes were computed from
-- (compare-and-append: Redis Lua has no SHA-256, so the hashing happens in the process). On a mismatch nothing is
-- written and the current head is returned, and the caller rehashes from it.
-- KEYS: 1 stream, 2 head
-- ARGV: 1 expected head hash ("" for an empty log), then pairs of (event json, hash)
local head = redis.call("GET", KEYS[2]) or ""
if head ~= ARGV[1] then return {0, head} end
local prev = ARGV[1]
-- The previous hash is not stored: each hash covers it, so a removed entry breaks the next one.
for i = 2, #ARGV, 2 do
  redis.call("XADD", KEYS[1], "*", "e", ARGV[i], "h", ARGV[i + 1])
  prev = ARGV[i + 1]
end
redis.call("SET", KEYS[2], prev)
return {1, prev}
