-- Walking task trees in a script that may touch only the keys its caller declared (Redis Cluster checks each one):
-- `key(name)` is the name when declared, else nil, and the name is kept in `missing` for the caller to declare
-- before it calls again (`missing_reply()`); `walk_tasks(roots, visit)` calls `visit(task id)` once for every task
-- of the trees below `roots` (the roots included), reading each task's `:children` through `key`.
local declared = {}
for i = 1, #KEYS do declared[KEYS[i]] = true end
local missing = {}

local function key(name)
  if declared[name] then return name end
  missing[#missing + 1] = name
  return nil
end

local function walk_tasks(prefix, roots, visit)
  local queue, seen = {}, {}
  for i = 1, #roots do queue[i] = roots[i] end
  while #queue > 0 do
    local tid = table.remove(queue)
    if not seen[tid] then
      seen[tid] = true
      visit(tid)
      local children = key(prefix .. "task:" .. tid .. ":children")
      if children then
        for _, child in ipairs(redis.call("SMEMBERS", children)) do queue[#queue + 1] = child end
      end
    end
  end
end

-- {"missing", names...} when a walk met undeclared keys (nothing may be changed then), else nil.
local function missing_reply()
  if #missing == 0 then return nil end
  local reply = {"missing"}
  for i = 1, #missing do reply[i + 1] = missing[i] end
  return reply
end
