-- Takes the leases whose deadline has passed and pushes their deadline a little into the future, so that one
-- poller enqueues each, and a lease whose job is lost comes due again (the deadline index is the outbox).
-- KEYS: 1 deadline
-- ARGV: 1 now ms, 2 limit, 3 claimed-until ms
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call("ZADD", KEYS[1], "XX", tonumber(ARGV[3]), id)
end
return ids
