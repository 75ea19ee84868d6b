-- Starts (or resumes) a re-evaluation: the first call freezes the live leases (those in the deadline index and the
-- pending ones) as its targets, in one sorted set scored 0 so they are read in id order by a cursor; later calls
-- only say where the run stands.
-- KEYS: 1 run, 2 its targets, 3 deadline index, 4 pending leases
-- ARGV: 1 now ms
-- Returns {phase, cursor, frozen at}. All keys share the prefix's hash tag (one Cluster slot).
local frozen = redis.call("HGET", KEYS[1], "frozen_at")
if not frozen then
  redis.call("ZUNIONSTORE", KEYS[2], 2, KEYS[3], KEYS[4], "WEIGHTS", 0, 0)
  frozen = ARGV[1]
  redis.call("HSET", KEYS[1], "frozen_at", frozen, "phase", "targets", "cursor", "")
end
local at = redis.call("HMGET", KEYS[1], "phase", "cursor")
return { at[1] or "targets", at[2] or "", frozen }
