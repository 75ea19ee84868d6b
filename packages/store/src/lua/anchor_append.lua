-- Appends a signed anchor (every shard's audit chain head) to the anchor stream if the last anchor is still the one
-- it links to, so concurrent workers never fork the anchors' own chain.
-- KEYS: 1 anchor stream, 2 the last anchor's hash
-- ARGV: 1 expected last hash ("" for none), 2 this anchor's hash, 3 the anchor (json), 4 its signature, 5 anchors kept
-- Returns 1 when appended, 0 when another anchor came first. Both keys share shard 0's hash tag.
if (redis.call("GET", KEYS[2]) or "") ~= ARGV[1] then return 0 end
redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[5], "*", "a", ARGV[3], "s", ARGV[4], "h", ARGV[2])
redis.call("SET", KEYS[2], ARGV[2])
return 1
