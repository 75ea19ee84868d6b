-- Closes a grant once. KEYS: 1 grant. ARGV: 1 by, 2 at. Returns 1 when this call closed it, 0 when it was closed
-- already, -1 when it is unknown.
local raw = redis.call("GET", KEYS[1])
if not raw then return -1 end
local g = cjson.decode(raw)
if g.closedAt then return 0 end
g.closedBy = ARGV[1]; g.closedAt = tonumber(ARGV[2])
redis.call("SET", KEYS[1], cjson.encode(g), "KEEPTTL")
return 1
