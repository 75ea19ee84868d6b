import { badRequest, envelope, NO_CONTENT, ok, VaultHttpError, type VaultReply } from "./reply.js";
import type { Route, RouteContext } from "./route.js";
import { rfc3339, weakBool, weakInt, weakString } from "./values.js";

/** The lease id comes from the body or from the URL; the body wins (logical_system.go). */
function leaseIdOf(ctx: RouteContext): string {
  const id = weakString(ctx.body.lease_id, "lease_id") || ctx.params.id || "";
  if (id === "") throw badRequest("lease_id must be specified");
  return id;
}

/** `sync` defaults to true in source (the docs say false): a synchronous revoke answers 204, a queued one 202. */
function revokedReply(ctx: RouteContext): VaultReply {
  const sync = weakBool(ctx.body.sync, "sync") ?? true;
  return sync ? NO_CONTENT : { status: 202, body: envelope({}) };
}

function lookup(ctx: RouteContext): VaultReply {
  const id = leaseIdOf(ctx);
  const lease = ctx.state.leases.get(id);
  if (!lease) throw badRequest("invalid lease");
  const now = ctx.state.now();
  return ok({
    data: {
      id: lease.id,
      issue_time: rfc3339(lease.issueTime),
      expire_time: rfc3339(lease.expireAt),
      last_renewal: lease.lastRenewal === null ? null : rfc3339(lease.lastRenewal),
      renewable: lease.renewable,
      ttl: Math.max(0, Math.ceil((lease.expireAt - now) / 1000)),
    },
  });
}

function renew(ctx: RouteContext): VaultReply {
  const id = leaseIdOf(ctx);
  const lease = ctx.state.leases.get(id);
  if (!lease) throw badRequest("lease not found or lease is not renewable");
  if (!lease.renewable) throw badRequest("lease is not renewable");
  const now = ctx.state.now();
  const increment = weakInt(ctx.body.increment, "increment") ?? 0;
  const wanted = increment > 0 ? increment : lease.defaultTtl;
  lease.expireAt = Math.min(now + wanted * 1000, lease.maxExpireAt);
  lease.lastRenewal = now;
  return ok({
    lease_id: lease.id,
    renewable: true,
    lease_duration: Math.floor((lease.expireAt - now) / 1000),
  });
}

function revoke(ctx: RouteContext): VaultReply {
  // An unknown lease id is not an error: revocation is idempotent (expiration.go revokeCommon returns nil).
  ctx.state.revokeLease(leaseIdOf(ctx));
  return revokedReply(ctx);
}

function revokePrefix(ctx: RouteContext): VaultReply {
  ctx.state.revokePrefix(ctx.params.prefix ?? "");
  return revokedReply(ctx);
}

function listLookup(ctx: RouteContext): VaultReply {
  const prefix = ctx.params.prefix ? `${ctx.params.prefix}/` : "";
  const keys = new Set<string>();
  for (const id of ctx.state.leases.keys()) {
    if (!id.startsWith(prefix)) continue;
    const rest = id.slice(prefix.length);
    const slash = rest.indexOf("/");
    keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  if (keys.size === 0) throw new VaultHttpError(404, []);
  return ok({ data: { keys: [...keys].sort() } });
}

/** `sys/leases/...` and the legacy aliases `sys/renew`, `sys/revoke`, `sys/revoke-prefix`, `sys/revoke-force`. */
export const leaseRoutes: readonly Route[] = [
  { pattern: /^sys\/leases\/lookup$/, handlers: { update: lookup } },
  { pattern: /^sys\/leases\/lookup(?:\/(?<prefix>.+))?$/, sudo: true, handlers: { list: listLookup } },
  { pattern: /^sys\/(?:leases\/)?renew(?:\/(?<id>.+))?$/, handlers: { update: renew } },
  { pattern: /^sys\/(?:leases\/)?revoke(?:\/(?<id>.+))?$/, handlers: { update: revoke } },
  {
    pattern: /^sys\/(?:leases\/)?revoke-prefix\/(?<prefix>.+)$/,
    sudo: true,
    handlers: { update: revokePrefix },
  },
  {
    pattern: /^sys\/(?:leases\/)?revoke-force\/(?<prefix>.+)$/,
    sudo: true,
    handlers: { update: revokePrefix },
  },
];
