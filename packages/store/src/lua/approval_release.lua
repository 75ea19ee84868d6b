-- redeemed -> approved again, when the lease it was redeemed for was never issued (a full quota refused it, or the
-- task, a suspension or the grant it needed changed first): a person's approval is spent only by the lease it
-- allowed. KEYS: 1 approval. ARGV: 1 the lease id it was redeemed for
local raw = redis.call("GET", KEYS[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state ~= "redeemed" or a.leaseId ~= ARGV[1] then return 0 end
a.state = "approved"; a.leaseId = cjson.null
redis.call("SET", KEYS[1], cjson.encode(a), "KEEPTTL")
return 1
