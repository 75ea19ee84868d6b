-- Write-ahead of a lease: records it `pending` and indexes it before anything exists at the provider. With quota
-- pools, checks them all first and counts the lease in each in the same step, or writes nothing and refuses.
-- KEYS: 1 lease, 2 task leases, 3 agent leases, 4 all leases, 5 pending, 6 idempotency key (the keyspace's `none`
--       key when the request has none), 7 live leases per agent (hash: agent -> count), 8 live leases per provider,
--       9 counters (a pool's live count is its field `ql:<pool>`), then two per pool: 10 + 2i its per-minute zset
--       and 11 + 2i the task whose issued total it keeps (each the `none` key when the pool keeps no such counter)
-- ARGV: 1 lease id, 2 now ms, 3 idempotency value ("<lease id> <body hash>", or "" without a key),
--       4 idempotency ttl ms, 5 number of pools n, then five per pool: quota name, pool name, and its max live, max
--       per minute and max issued ("" for a counter it does not keep, "0" for one kept without a limit),
--       6 + 5n.. hash fields
-- Returns the earlier idempotency value, nil when written, or {"quota", quota, limit, max, retry-after s or ""}.
-- All keys share the prefix's hash tag, so they live in one Redis Cluster slot.
local WINDOW_MS = 60000
local idempotent = ARGV[3] ~= ""
if idempotent then
  local existing = redis.call("GET", KEYS[6])
  if existing then return existing end
end
if redis.call("EXISTS", KEYS[1]) == 1 then
  return redis.error_reply("CONFLICT lease exists")
end
local id = ARGV[1]
local now = tonumber(ARGV[2])
local pools = tonumber(ARGV[5])
local counters = KEYS[9]

local function pool_at(i)
  local a = 6 + 5 * i
  return {
    quota = ARGV[a], field = "ql:" .. ARGV[a + 1], live = ARGV[a + 2], rate = ARGV[a + 3], issued = ARGV[a + 4],
    rate_key = KEYS[10 + 2 * i], task = KEYS[11 + 2 * i],
  }
end

-- Every pool is checked before anything is counted, so a refusal counts nothing anywhere.
local all = {}
for i = 0, pools - 1 do
  local p = pool_at(i)
  all[i + 1] = p
  local max = tonumber(p.live)
  if max and max > 0 and tonumber(redis.call("HGET", counters, p.field) or "0") >= max then
    return {"quota", p.quota, "max_live", p.live, ""}
  end
  max = tonumber(p.rate)
  if max then
    redis.call("ZREMRANGEBYSCORE", p.rate_key, "-inf", now - WINDOW_MS)
    if max > 0 and redis.call("ZCARD", p.rate_key) >= max then
      local oldest = tonumber(redis.call("ZRANGE", p.rate_key, 0, 0, "WITHSCORES")[2])
      local wait = math.max(1, math.ceil((oldest + WINDOW_MS - now) / 1000))
      return {"quota", p.quota, "max_per_minute", p.rate, tostring(wait)}
    end
  end
  if p.issued ~= "" then
    -- One read for both: whether the task's record exists (an active task's does), and its issued count.
    local t = redis.call("HMGET", p.task, "state", "q_issued")
    p.task_exists = t[1] ~= false
    max = tonumber(p.issued)
    if max > 0 and tonumber(t[2] or "0") >= max then
      return {"quota", p.quota, "max_issued", p.issued, ""}
    end
  end
end

-- The agent and provider come from the fields written, not read back.
local fields = {unpack(ARGV, 6 + 5 * pools)}
local agent, provider
for i = 1, #fields - 1, 2 do
  if fields[i] == "agent" then agent = fields[i + 1] elseif fields[i] == "provider" then provider = fields[i + 1] end
end
if idempotent then
  redis.call("SET", KEYS[6], ARGV[3], "PX", tonumber(ARGV[4]))
  -- So the retention sweep removes the key with the lease, should the lease go first.
  fields[#fields + 1] = "idem"
  fields[#fields + 1] = KEYS[6]
end
redis.call("HSET", KEYS[1], unpack(fields))
redis.call("ZADD", KEYS[2], 0, id)
redis.call("ZADD", KEYS[3], 0, id)
redis.call("ZADD", KEYS[4], 0, id)
redis.call("ZADD", KEYS[5], now, id)
redis.call("HINCRBY", KEYS[7], agent, 1)
redis.call("HINCRBY", KEYS[8], provider, 1)

-- The lease records where it was counted, so the scripts that end it (abort.lua, lease_end.lua) uncount it there.
local live, rate, issued = {}, {}, {}
for _, p in ipairs(all) do
  if p.live ~= "" then
    redis.call("HINCRBY", counters, p.field, 1)
    live[#live + 1] = p.field
  end
  if p.rate ~= "" then
    redis.call("ZADD", p.rate_key, now, id)
    redis.call("PEXPIRE", p.rate_key, WINDOW_MS)
    rate[#rate + 1] = p.rate_key
  end
  -- The existence check keeps a stray counter from creating an orphan hash.
  if p.issued ~= "" and p.task_exists then
    redis.call("HINCRBY", p.task, "q_issued", 1)
    issued[#issued + 1] = p.task
  end
end
local where = {}
if #live > 0 then where[#where + 1] = "qlive"; where[#where + 1] = cjson.encode(live) end
if #rate > 0 then where[#where + 1] = "qrate"; where[#where + 1] = cjson.encode(rate) end
if #issued > 0 then where[#where + 1] = "qtask"; where[#where + 1] = cjson.encode(issued) end
if #where > 0 then redis.call("HSET", KEYS[1], unpack(where)) end
return false
