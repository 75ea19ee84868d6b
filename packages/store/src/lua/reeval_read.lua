-- Reads what a re-evaluation needs of each lease (the request recorded at issuance and where the lease stands) and
-- returns it as one JSON text: a single string decodes much faster in the client than 11 fields per lease.
-- KEYS: the leases
-- ARGV: the fields to read, in order
-- Returns [[field values, false for a missing one], ...], one entry per key, as JSON.
local out = {}
for i = 1, #KEYS do
  local f = redis.call("HMGET", KEYS[i], unpack(ARGV))
  for j = 1, #ARGV do
    if not f[j] then f[j] = false end
  end
  out[i] = f
end
return cjson.encode(out)
