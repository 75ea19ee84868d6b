-- Counts leases of a campaign as ended (a set, so replays count once) or as failing for now, and moves its cursor.
-- The call that completes the campaign (every matched lease ended) writes `revocation.completed` with its counts to
-- the audit outbox, exactly once.
-- KEYS: 1 campaign, 2 ended leases of it, 3 failing leases of it, 4 audit outbox, 5 completed campaigns (for the
--       retention sweep)
-- ARGV: 1 now ms, 2 "ended" | "failing", 3 new cursor or "" to keep it, 4.. lease ids
-- Returns 1 when this call completed the campaign, else 0. All keys share the prefix's hash tag (one Cluster slot).
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if ARGV[2] == "failing" then
  for i = 4, #ARGV do redis.call("SADD", KEYS[3], ARGV[i]) end
  return 0
end
if ARGV[3] ~= "" then redis.call("HSET", KEYS[1], "ordered", ARGV[3]) end
for i = 4, #ARGV do
  redis.call("SADD", KEYS[2], ARGV[i])
  redis.call("SREM", KEYS[3], ARGV[i])
end
local c = redis.call("HMGET", KEYS[1], "id", "by", "matched", "ordered", "created", "reason")
local matched = tonumber(c[3]) or 0
local revoked = redis.call("SCARD", KEYS[2])
if revoked < matched then return 0 end
local now = tonumber(ARGV[1])
if redis.call("HSETNX", KEYS[1], "completed", now) == 0 then return 0 end
-- A campaign run in parts (one per shard) is audited once, for the whole, when its last part completes.
if redis.call("HGET", KEYS[1], "part") == "1" then
  redis.call("ZADD", KEYS[5], now, c[1])
  return 1
end
local event = {
  ts = now,
  type = "revocation.completed",
  actor = c[2],
  outcome = "ok",
  detail = {
    campaign = c[1],
    reason = c[6],
    matched = matched,
    ordered = tonumber(c[4]) or 0,
    revoked = revoked,
    failed = redis.call("SCARD", KEYS[3]),
    duration_ms = now - (tonumber(c[5]) or now),
  },
}
redis.call("RPUSH", KEYS[4], cjson.encode(event))
redis.call("ZADD", KEYS[5], now, c[1])
return 1
