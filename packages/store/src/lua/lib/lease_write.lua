-- Shared by the scripts that write a new lease (create_pending.lua, the write-ahead; create_active.lua, the one
-- step of credentials that die in the store): its quota pools checked and counted, its record and indexes written.
-- Pools are read from ARGV at `a` (their count n, then five per pool: quota name, pool name, max live, max per
-- minute, max issued; "" for a counter the pool does not keep, "0" for one kept without a limit) and from KEYS at
-- `k` (two per pool: its per-minute zset and the task whose issued total it keeps, each `none` when not kept).
local WINDOW_MS = 60000

local function pools_at(a, k)
  local all = {}
  for i = 0, tonumber(ARGV[a]) - 1 do
    local b = a + 1 + 5 * i
    all[i + 1] = {
      quota = ARGV[b], field = "ql:" .. ARGV[b + 1], live = ARGV[b + 2], rate = ARGV[b + 3], issued = ARGV[b + 4],
      rate_key = KEYS[k + 2 * i], task = KEYS[k + 1 + 2 * i],
    }
  end
  return all
end

-- Every pool is checked before anything is counted, so a refusal counts nothing anywhere. Returns the refusal
-- {"quota", quota, limit, max, retry-after s or ""}, or nil.
local function check_pools(all, counters, now)
  for _, p in ipairs(all) do
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
  return nil
end

-- Writes the lease's record (`fields`, ARGV pairs) and indexes it: its task's and agent's leases, every lease,
-- `live` (the pending set or the deadline index) at `score`, and the live counts per agent and per provider.
-- `k`: lease, task leases, agent leases, leases, idempotency, agents, providers. `idem`: the key's value or "".
local function write_lease(k, id, fields, live, score, idem, idem_ttl)
  -- The agent and provider come from the fields written, not read back.
  local agent, provider
  for i = 1, #fields - 1, 2 do
    if fields[i] == "agent" then agent = fields[i + 1] elseif fields[i] == "provider" then provider = fields[i + 1] end
  end
  if idem ~= "" then
    redis.call("SET", k.idem, idem, "PX", idem_ttl)
    -- So the retention sweep removes the key with the lease, should the lease go first.
    fields[#fields + 1] = "idem"
    fields[#fields + 1] = k.idem
  end
  redis.call("HSET", k.lease, unpack(fields))
  redis.call("ZADD", k.task_leases, 0, id)
  redis.call("ZADD", k.agent_leases, 0, id)
  redis.call("ZADD", k.leases, 0, id)
  redis.call("ZADD", live, score, id)
  redis.call("HINCRBY", k.agents, agent, 1)
  redis.call("HINCRBY", k.providers, provider, 1)
end

-- Counts the lease in its pools, and records on it where, so the scripts that end it (abort.lua, lease_end.lua)
-- uncount it there.
local function count_pools(all, counters, lease, id, now)
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
  if #where > 0 then redis.call("HSET", lease, unpack(where)) end
end
