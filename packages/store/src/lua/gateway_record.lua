-- Records gateway revocations and announces them to the gateways in one step, so a gateway that subscribed before
-- reading the set misses nothing: an entry is either in what it read or in a message it receives afterwards.
-- Entries whose expiresAt has passed are dropped (every credential they cover has expired), so the set holds only
-- revocations that still matter.
-- KEYS: 1 revocation set (member: entry JSON, score: its expiresAt)
-- ARGV: 1 channel, 2 now ms, then pairs of (expiresAt ms, entry JSON)
local now = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[2])
local announced = {}
for i = 3, #ARGV, 2 do
  local expires_at = tonumber(ARGV[i])
  if expires_at >= now then
    redis.call("ZADD", KEYS[1], expires_at, ARGV[i + 1])
    announced[#announced + 1] = ARGV[i + 1]
  end
end
if #announced > 0 then
  redis.call("PUBLISH", ARGV[1], '{"t":"rev","entries":[' .. table.concat(announced, ",") .. "]}")
end
return #announced
