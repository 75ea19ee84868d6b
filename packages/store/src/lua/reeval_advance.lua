-- Moves a re-evaluation's cursor and counts the leases the chunk decided, only if the cursor is still where the
-- caller read it: a chunk done again after a crash, or by a second worker, is counted once.
-- KEYS: 1 run
-- ARGV: 1 from phase, 2 from cursor, 3 to phase, 4 to cursor, 5 leases checked
-- Returns 1 when it moved, 0 when the cursor had moved already.
local at = redis.call("HMGET", KEYS[1], "phase", "cursor", "state")
if at[3] ~= "running" then return 0 end
if (at[1] or "targets") ~= ARGV[1] or (at[2] or "") ~= ARGV[2] then return 0 end
redis.call("HSET", KEYS[1], "phase", ARGV[3], "cursor", ARGV[4])
redis.call("HINCRBY", KEYS[1], "checked", tonumber(ARGV[5]))
return 1
