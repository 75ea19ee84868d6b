-- Moves a re-evaluation's cursor, counts the leases the chunk decided and remembers the recent ones a later phase
-- may reach again, only if the cursor is still where the caller read it: a chunk done again after a crash, or by a
-- second worker, is counted once.
-- KEYS: 1 run, 2 its recently issued leases already decided (a set)
-- ARGV: 1 from phase, 2 from cursor, 3 to phase, 4 to cursor, 5 leases checked, 6.. lease ids to remember
-- Returns 1 when it moved, 0 when the cursor had moved already. Both keys share the prefix's hash tag.
local at = redis.call("HMGET", KEYS[1], "phase", "cursor", "state")
if at[3] ~= "running" then return 0 end
if (at[1] or "pending") ~= ARGV[1] or (at[2] or "") ~= ARGV[2] then return 0 end
redis.call("HSET", KEYS[1], "phase", ARGV[3], "cursor", ARGV[4])
redis.call("HINCRBY", KEYS[1], "checked", tonumber(ARGV[5]))
-- In slices: unpack has a limit (a page grows past its size when many leases share a deadline).
for i = 6, #ARGV, 1000 do redis.call("SADD", KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
return 1
