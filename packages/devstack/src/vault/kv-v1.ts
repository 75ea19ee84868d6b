import type { KvV1Store } from "./kv-v1-store.js";
import { childrenOf } from "./kv-v2-store.js";
import { badRequest, listReply, NO_CONTENT, nothingThere, ok, type VaultReply } from "./reply.js";
import type { RouteContext } from "./route.js";
import { parseDurationSeconds } from "./values.js";

/**
 * passthrough.go handleReadOrRenew: not a lease, but `lease_duration` tells readers when to read again: the
 * secret's own `ttl` (or `lease`) field when it parses, else the system default TTL.
 */
function leaseDuration(data: Readonly<Record<string, unknown>>, fallback: number): number {
  const ttl = data.ttl ?? data.lease;
  if (ttl === undefined) return fallback;
  try {
    return parseDurationSeconds(ttl, "ttl");
  } catch {
    return fallback;
  }
}

/** One request under a KV v1 mount: `key` is the path after the mount. */
export function handleKvV1(store: KvV1Store, key: string, ctx: RouteContext): VaultReply {
  switch (ctx.operation) {
    case "read": {
      const data = store.entries.get(key);
      if (!data) throw nothingThere();
      return ok({ data, lease_duration: leaseDuration(data, ctx.state.limits.defaultTtl) });
    }
    case "list":
      return listReply(childrenOf(store.entries.keys(), key === "" ? "" : `${key}/`));
    case "update":
      if (key === "") throw badRequest("missing path");
      if (Object.keys(ctx.body).length === 0) throw badRequest("missing data fields");
      store.entries.set(key, { ...ctx.body });
      return NO_CONTENT;
    case "delete":
      store.entries.delete(key);
      return NO_CONTENT;
  }
}
