-- Lifts a suspension: removes it from both indexes and returns it (false when there was none). With a lapse
-- instant, only a suspension whose `until` is at or before it, so a renewal that landed first survives the worker.
-- The suspensions' channel names the agent in the same step, for the API's views (suspension-view.ts).
-- KEYS: 1 suspensions (hash agent -> json), 2 suspensions by until (zset).
-- ARGV: 1 agent, 2 lapse instant ms or "", 3 the suspensions' channel.
local raw = redis.call("HGET", KEYS[1], ARGV[1])
if not raw then return false end
if ARGV[2] ~= "" then
  local untl = tonumber(redis.call("ZSCORE", KEYS[2], ARGV[1]))
  if not untl or untl > tonumber(ARGV[2]) then return false end
end
redis.call("HDEL", KEYS[1], ARGV[1])
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("PUBLISH", ARGV[3], cjson.encode({t = "s", agent = ARGV[1]}))
return raw
