import type { BreakGlass, BreakGlassStore } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

/** How long a grant stays readable (and closable, as a no-op) after it ends, for the people handling the incident. */
const REMEMBER_MS = 86_400_000;

/**
 * Break-glass grants: each a JSON document by id, and per task a pointer to its newest grant that expires with it.
 * A closed grant keeps its document (with `closedAt`), so the pointer needs no cleanup: `current` ignores it.
 */
export class RedisBreakGlassStore implements BreakGlassStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Pick<Scripts, "breakGlassClose">,
  ) {}

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
      const reply = await this.scripts.breakGlassClose([this.keys.breakGlass(id)], [by, at]);
      if (reply === -1) return null;
      const grant = await this.get(id);
      return grant ? { grant, closedNow: reply === 1 } : null;
    });
  }
}
