-- Starts (or resumes) a re-evaluation: the first call records when it started, which fixes the leases it must
-- decide (those pending or live then, and those issued under an earlier set while it runs); later calls only say
-- where the run stands.
-- KEYS: 1 run
-- ARGV: 1 now ms
-- Returns {phase, cursor, started at}.
redis.call("HSETNX", KEYS[1], "frozen_at", ARGV[1])
local at = redis.call("HMGET", KEYS[1], "phase", "cursor", "frozen_at")
return { at[1] or "pending", at[2] or "", at[3] }
