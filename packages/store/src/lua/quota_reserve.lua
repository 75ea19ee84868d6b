-- Reserves a new lease's place in the trust file's pools on their home shard (sharded/pools.ts), before the lease
-- is written in its own shard: with several shards, leases of one pool live in many slots, and only one place can
-- count them exactly. Every limit is checked before anything is reserved, so a refusal reserves nothing.
-- A pool's live count is its reservations not yet released nor lapsed (each is scored by its lease's expiry, past
-- which nothing the lease gave works); the leases live when the store was sharded were counted in by the migration.
-- KEYS: two per pool: its reservations (zset) and its per-minute window (zset)
-- ARGV: 1 lease id, 2 now ms, 3 the lease's expiry ms, 4 number of pools n, then three per pool: quota name, max
--       live or "", max per minute or ""
-- Returns nil when reserved, or {"quota", quota, limit, max, retry-after s or ""}.
local WINDOW_MS = 60000
local id, now, expires = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local pools = {}
for i = 0, tonumber(ARGV[4]) - 1 do
  local b = 5 + 3 * i
  pools[i + 1] = {
    quota = ARGV[b], live = ARGV[b + 1], rate = ARGV[b + 2], held = KEYS[1 + 2 * i], window = KEYS[2 + 2 * i],
  }
end

for _, p in ipairs(pools) do
  local max = tonumber(p.live)
  if max then
    redis.call("ZREMRANGEBYSCORE", p.held, "-inf", now)
    p.count = redis.call("ZCARD", p.held)
    if p.count >= max then return {"quota", p.quota, "max_live", p.live, ""} end
  end
  max = tonumber(p.rate)
  if max then
    redis.call("ZREMRANGEBYSCORE", p.window, "-inf", now - WINDOW_MS)
    if redis.call("ZCARD", p.window) >= max then
      local oldest = tonumber(redis.call("ZRANGE", p.window, 0, 0, "WITHSCORES")[2])
      local wait = math.max(1, math.ceil((oldest + WINDOW_MS - now) / 1000))
      return {"quota", p.quota, "max_per_minute", p.rate, tostring(wait)}
    end
  end
end

for _, p in ipairs(pools) do
  if p.count then
    redis.call("ZADD", p.held, expires, id)
    -- The set goes a minute after its last lease could: a pool nobody uses leaves nothing behind.
    if p.count == 0 then
      redis.call("PEXPIREAT", p.held, expires + WINDOW_MS)
    else
      redis.call("PEXPIREAT", p.held, expires + WINDOW_MS, "GT")
    end
  end
  if p.rate ~= "" then
    redis.call("ZADD", p.window, now, id)
    redis.call("PEXPIRE", p.window, WINDOW_MS)
  end
end
return false
