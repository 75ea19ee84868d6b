-- A live lease view's freshness ping, published from the node that holds the revocation set (KEYS[1] routes the call
-- there in a Redis Cluster): the ping then travels behind every revocation announced before it, in order.
-- KEYS: 1 revocation set (only routes the call)
-- ARGV: 1 channel, 2 message
return redis.call("PUBLISH", ARGV[1], ARGV[2])
