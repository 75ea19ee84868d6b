import type { BreakGlass, BreakGlassStore } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";

/** How long a grant stays readable (and closable, as a no-op) after it ends, for the people handling the incident. */
const REMEMBER_MS = 86_400_000;

const CLOSE = `
-- Closes a grant once. KEYS: 1 grant. ARGV: 1 by, 2 at. Returns 1 when this call closed it, 0 when it was closed
-- already, -1 when it is unknown.
local raw = redis.call("GET", KEYS[1])
if not raw then return -1 end
local g = cjson.decode(raw)
if g.closedAt then return 0 end
g.closedBy = ARGV[1]; g.closedAt = tonumber(ARGV[2])
redis.call("SET", KEYS[1], cjson.encode(g), "KEEPTTL")
return 1`;

/**
 * Break-glass grants: each a JSON document by id, and per task a pointer to its newest grant that expires with it.
 * A closed grant keeps its document (with `closedAt`), so the pointer needs no cleanup: `current` ignores it.
 */
export class RedisBreakGlassStore implements BreakGlassStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
  ) {
    redis.defineCommand("leash_breakGlassClose", { numberOfKeys: 1, lua: CLOSE });
  }

  open(grant: BreakGlass): Promise<void> {
    return guard("open break-glass", async () => {
      const life = Math.max(1, grant.expiresAt - grant.openedAt);
      await this.redis
        .multi()
        .set(this.keys.breakGlass(grant.id), JSON.stringify(grant), "PX", life + REMEMBER_MS)
        .set(this.keys.taskBreakGlass(grant.taskId), grant.id, "PX", life)
        .exec();
    });
  }

  get(id: string): Promise<BreakGlass | null> {
    return guard("read break-glass", async () => {
      const raw = await this.redis.get(this.keys.breakGlass(id));
      return raw ? (JSON.parse(raw) as BreakGlass) : null;
    });
  }

  current(taskId: string, now: number): Promise<BreakGlass | null> {
    return guard("read break-glass", async () => {
      const id = await this.redis.get(this.keys.taskBreakGlass(taskId));
      const grant = id ? await this.get(id) : null;
      return grant && grant.closedAt === undefined && grant.expiresAt > now ? grant : null;
    });
  }

  close(id: string, by: string, at: number): Promise<{ grant: BreakGlass; closedNow: boolean } | null> {
    return guard("close break-glass", async () => {
      const fn = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<number>>)
        .leash_breakGlassClose;
      if (!fn) throw new Error("script leash_breakGlassClose not registered");
      const reply = await fn.call(this.redis, this.keys.breakGlass(id), by, at);
      if (reply === -1) return null;
      const grant = await this.get(id);
      return grant ? { grant, closedNow: reply === 1 } : null;
    });
  }
}
