-- Completes a campaign or re-evaluation that runs in parts, one per shard, once every part has: the first call marks
-- the whole record on its home shard and writes the one audit event for the whole (its parts write none).
-- KEYS: 1 the home shard's record (campaign or re-evaluation), 2 the home shard's audit outbox
-- ARGV: 1 now ms, 2 the event (json)
-- Returns 1 when this call completed the whole, else 0. Both keys share the home shard's hash tag.
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if redis.call("HSETNX", KEYS[1], "whole", ARGV[1]) == 0 then return 0 end
redis.call("RPUSH", KEYS[2], ARGV[2])
return 1
