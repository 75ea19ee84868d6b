-- Appends a batch of hash-chained audit events if the chain head is still the one the hashes were computed from
-- (compare-and-append: Redis Lua has no SHA-256, so the hashing happens in the process). On a mismatch nothing is
-- written and the current head is returned, and the caller rehashes from it.
-- The first `n` events of the batch are the head of the outbox, where transitions leave the receipts they write
-- (lib/lease_end.lua): they move into the chain only if they are still there, so each is chained exactly once even
-- when several processes drain at the same time.
-- KEYS: 1 stream, 2 head, 3 outbox
-- ARGV: 1 expected head hash ("" for an empty log), 2 n, then pairs of (event json, hash), the first n from the
--       outbox in order
-- Returns {1, new head}, {0, head} when the head moved, {2, head} when the outbox moved.
local head = redis.call("GET", KEYS[2]) or ""
if head ~= ARGV[1] then return {0, head} end
local n = tonumber(ARGV[2])
if n > 0 then
  local waiting = redis.call("LRANGE", KEYS[3], 0, n - 1)
  if #waiting < n then return {2, head} end
  for i = 1, n do
    if waiting[i] ~= ARGV[1 + 2 * i] then return {2, head} end
  end
end
local prev = ARGV[1]
-- The previous hash is not stored: each hash covers it, so a removed entry breaks the next one.
for i = 3, #ARGV, 2 do
  redis.call("XADD", KEYS[1], "*", "e", ARGV[i], "h", ARGV[i + 1])
  prev = ARGV[i + 1]
end
if n > 0 then redis.call("LTRIM", KEYS[3], n, -1) end
redis.call("SET", KEYS[2], prev)
return {1, prev}
