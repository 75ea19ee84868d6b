-- pending -> approved|denied, once. KEYS: 1 approval. ARGV: 1 state, 2 by, 3 at
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state ~= "pending" then return 0 end
a.state = ARGV[1]; a.decidedBy = ARGV[2]; a.decidedAt = tonumber(ARGV[3])
redis.call("SET", KEYS[1], cjson.encode(a), "KEEPTTL")
return 1
