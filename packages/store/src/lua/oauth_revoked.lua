-- Records ended access tokens for the resource servers that follow the feed (GET /oauth/revocations), and drops the
-- oldest entries once the tokens they name have expired (with 30 s for resource servers whose clocks lag): entries
-- come in the order tokens were revoked, not of expiry, so one still needed at the head keeps later ones a while
-- longer, at most the longest lease.
-- KEYS: 1 the stream (fields jti, aud, exp in epoch seconds)
-- ARGV: 1 now in epoch seconds, then triples (jti, aud, exp)
local horizon = tonumber(ARGV[1]) - 30
for _, entry in ipairs(redis.call("XRANGE", KEYS[1], "-", "+", "COUNT", 100)) do
  local fields, exp = entry[2], nil
  for i = 1, #fields, 2 do
    if fields[i] == "exp" then exp = tonumber(fields[i + 1]) end
  end
  if exp ~= nil and exp >= horizon then break end
  redis.call("XDEL", KEYS[1], entry[1])
end
local added = 0
for i = 2, #ARGV, 3 do
  if tonumber(ARGV[i + 2]) >= horizon then
    redis.call("XADD", KEYS[1], "*", "jti", ARGV[i], "aud", ARGV[i + 1], "exp", ARGV[i + 2])
    added = added + 1
  end
end
return added
