-- approved -> redeemed, once. KEYS: 1 approval. ARGV: 1 lease id
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state ~= "approved" then return 0 end
a.state = "redeemed"; a.leaseId = ARGV[1]
redis.call("SET", KEYS[1], cjson.encode(a), "KEEPTTL")
return 1
