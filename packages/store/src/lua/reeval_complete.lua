-- Ends a running re-evaluation, once: records the outcome, drops its working sets, keeps the record (and its counts
-- by policy and sample) for the retention period, and, unless it was a dry run, writes `reevaluation.completed` with
-- its counts to the audit outbox.
-- KEYS: 1 run, 2 its recent leases decided, 3 its denied leases, 4 its counts by policy, 5 its sample, 6 audit outbox
-- ARGV: 1 now ms, 2 "done" | "failed", 3 problems json, 4 superseding policy set or "", 5 keep ms
-- Returns 1 when this call ended the run, else 0. All keys share the prefix's hash tag (one Cluster slot).
local r = redis.call("HMGET", KEYS[1], "state", "id", "trigger", "by", "checked", "denied", "revoked", "dry",
  "pset", "created")
if r[1] ~= "running" then return 0 end
local now = tonumber(ARGV[1])
redis.call("HSET", KEYS[1], "state", ARGV[2], "completed", now, "problems", ARGV[3], "superseded", ARGV[4])
-- UNLINK: a run over 100,000 recent leases leaves a set that DEL would take ~20 ms to free while Redis waits.
redis.call("UNLINK", KEYS[2], KEYS[3])
local keep = tonumber(ARGV[5])
for _, key in ipairs({ KEYS[1], KEYS[4], KEYS[5] }) do redis.call("PEXPIRE", key, keep) end
-- A dry run is not audited; a run in parts (one per shard) is audited once, for the whole, by its last part.
if r[8] == "1" or redis.call("HGET", KEYS[1], "part") == "1" then return 1 end
local by_policy = {}
local counts = redis.call("HGETALL", KEYS[4])
for i = 1, #counts, 2 do by_policy[counts[i]] = tonumber(counts[i + 1]) end
local detail = {
  id = r[2],
  trigger = r[3],
  state = ARGV[2],
  policy_set = r[9],
  checked = tonumber(r[5]) or 0,
  denied = tonumber(r[6]) or 0,
  revoked = tonumber(r[7]) or 0,
  duration_ms = now - (tonumber(r[10]) or now),
}
if next(by_policy) ~= nil then detail.by_policy = by_policy end
if ARGV[4] ~= "" then detail.superseded_by = ARGV[4] end
local event = {
  ts = now,
  type = "reevaluation.completed",
  actor = r[4],
  outcome = ARGV[2] == "done" and "ok" or "failed",
  detail = detail,
}
redis.call("RPUSH", KEYS[6], cjson.encode(event))
return 1
