-- pending -> aborted: the mint failed or was reclaimed, nothing exists at the provider (so there is no receipt: the
-- issue path audits `lease.mint_failed`, the reconciler `lease.reclaimed`). An aborted lease counts in no quota.
-- KEYS: 1 lease, 2 pending, 3 deadline, 4 live leases per agent, 5 live leases per provider, 6 ended leases,
--       7 counters, 8.. the quota keys the lease was counted in (its `qrate` and `qtask`, as the caller read them)
-- ARGV: 1 lease id, 2 now ms, 3 reason
local state = redis.call("HGET", KEYS[1], "state")
if state ~= "pending" then return 0 end
local declared = {}
for i = 8, #KEYS do declared[KEYS[i]] = true end
local q = redis.call("HMGET", KEYS[1], "qlive", "qrate", "qtask")
local rate = q[2] and cjson.decode(q[2]) or {}
local issued = q[3] and cjson.decode(q[3]) or {}
for _, key in ipairs(rate) do
  if not declared[key] then return redis.error_reply("UNDECLARED " .. key) end
end
for _, key in ipairs(issued) do
  if not declared[key] then return redis.error_reply("UNDECLARED " .. key) end
end
redis.call("HSET", KEYS[1], "state", "aborted", "reason", ARGV[3], "revoked_at", ARGV[2])
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("ZREM", KEYS[3], ARGV[1])
redis.call("ZADD", KEYS[6], tonumber(ARGV[2]), ARGV[1])
local agent = redis.call("HGET", KEYS[1], "agent")
if redis.call("HINCRBY", KEYS[4], agent, -1) <= 0 then redis.call("HDEL", KEYS[4], agent) end
redis.call("HINCRBY", KEYS[5], redis.call("HGET", KEYS[1], "provider"), -1)
if q[1] then
  for _, field in ipairs(cjson.decode(q[1])) do
    if redis.call("HINCRBY", KEYS[7], field, -1) <= 0 then redis.call("HDEL", KEYS[7], field) end
  end
end
for _, key in ipairs(rate) do redis.call("ZREM", key, ARGV[1]) end
for _, key in ipairs(issued) do
  if redis.call("EXISTS", key) == 1 then redis.call("HINCRBY", key, "q_issued", -1) end
end
return 1
