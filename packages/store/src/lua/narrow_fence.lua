-- Narrows an active task's ceiling, first and on its own: from this step on, every issuance under the task or a
-- descendant that writes its lease ahead reads the new ceiling when it reads the task again, and aborts a lease
-- outside it, and an issuance in one step (create_active.lua) finds the task's `stamp` moved and refuses. What was
-- written before is read and judged after this step (narrow_task.lua orders it revoked).
-- KEYS: 1 task
-- ARGV: 1 the ceiling json the caller judged against (refused if the task's is another), 2 the new ceiling json,
--       3 now ms, 4 actor
-- Returns nil for an unknown task; {"not_active", state}; {"changed"}; or {"fenced"}.
local state = redis.call("HGET", KEYS[1], "state")
if not state then return nil end
if state ~= "active" then return {"not_active", state} end
if redis.call("HGET", KEYS[1], "ceiling") ~= ARGV[1] then return {"changed"} end
redis.call("HSET", KEYS[1], "ceiling", ARGV[2], "narrowed", ARGV[3], "narrowed_by", ARGV[4])
redis.call("HINCRBY", KEYS[1], "stamp", 1)
return {"fenced"}
