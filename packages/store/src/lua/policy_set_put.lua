-- Keeps a policy set by id. With "current", it becomes the loaded set: the one it replaces is then kept only for the
-- retention period, and the loaded one never expires (a worker must always be able to read it).
-- KEYS: 1 the set, 2 the id of the loaded set, 3 the set it replaces (the caller read it from KEYS[2])
-- ARGV: 1 id, 2 the set json, 3 "1" to make it the loaded one, 4 keep ms, 5 the id the caller read from KEYS[2]
-- Returns 1 when the loaded set changed, 0 when it did not, -1 when KEYS[2] moved meanwhile (read it again).
local current = redis.call("GET", KEYS[2]) or ""
if ARGV[3] ~= "1" then
  if current == ARGV[1] then return 0 end
  redis.call("SET", KEYS[1], ARGV[2], "PX", tonumber(ARGV[4]))
  return 0
end
if current ~= ARGV[5] then return -1 end
redis.call("SET", KEYS[1], ARGV[2])
if current == ARGV[1] then return 0 end
redis.call("SET", KEYS[2], ARGV[1])
if current ~= "" then redis.call("PEXPIRE", KEYS[3], tonumber(ARGV[4])) end
return 1
