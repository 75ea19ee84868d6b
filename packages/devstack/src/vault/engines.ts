import { timingSafeEqual } from "node:crypto";
import { badRequest, ok, VaultHttpError, type VaultReply } from "./reply.js";
import { callerOf, type Route, type RouteContext } from "./route.js";
import { authBlock, effectiveTtl } from "./token-create.js";
import { base62, weakString } from "./values.js";

/**
 * database/creds/:role. The username follows the database plugins' pattern (`v-<display name>-<role>-<random>-<unix
 * time>`); the lease is tied to the calling token, so revoking that token revokes the user.
 */
function databaseCreds(ctx: RouteContext): VaultReply {
  const caller = callerOf(ctx);
  const roleName = ctx.params.role ?? "";
  const role = ctx.state.databaseRoles.get(roleName);
  if (!role) throw badRequest(`unknown role: ${roleName}`);
  const now = ctx.state.now();
  const ttl = role.default_ttl > 0 ? role.default_ttl : ctx.state.limits.defaultTtl;
  const maxTtl = role.max_ttl > 0 ? role.max_ttl : ctx.state.limits.maxTtl;
  const leaseTtl = Math.min(ttl, maxTtl);
  const display = caller.displayName.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 8);
  const username = `v-${display}-${roleName.slice(0, 8)}-${base62(20)}-${Math.floor(now / 1000)}`;
  const leaseId = `database/creds/${roleName}/${base62(24)}`;
  ctx.state.addLease({
    id: leaseId,
    tokenId: caller.id,
    issueTime: now,
    expireAt: now + leaseTtl * 1000,
    maxExpireAt: now + maxTtl * 1000,
    renewable: true,
    defaultTtl: leaseTtl,
    lastRenewal: null,
    secret: { kind: "database", role: roleName, username },
  });
  return ok({
    lease_id: leaseId,
    renewable: true,
    lease_duration: leaseTtl,
    data: { username, password: `A1a-${base62(20)}` },
  });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** auth/approle/login: tokens issued by a login are orphans, carry `metadata.role_name` and the role's TTLs. */
function approleLogin(ctx: RouteContext): VaultReply {
  const roleId = weakString(ctx.body.role_id, "role_id") ?? "";
  if (roleId === "") throw badRequest("missing role_id");
  const secretId = weakString(ctx.body.secret_id, "secret_id") ?? "";
  const match = [...ctx.state.appRoles.entries()].find(([, r]) => r.role_id === roleId);
  if (!match || !sameSecret(match[1].secret_id, secretId)) throw badRequest("invalid role or secret ID");
  const [name, role] = match;
  const { state } = ctx;
  const warnings: string[] = [];
  const ttl = effectiveTtl(role.token_ttl, role.token_max_ttl, state.limits, warnings);
  const maxTtl =
    role.token_max_ttl > 0 ? Math.min(role.token_max_ttl, state.limits.maxTtl) : state.limits.maxTtl;
  const entry = state.addToken({
    parent: null,
    policies: [...new Set(["default", ...role.policies])],
    meta: { role_name: name },
    displayName: "approle",
    path: "auth/approle/login",
    ttl,
    explicitMaxTtl: 0,
    maxExpireAt: state.now() + maxTtl * 1000,
    numUses: 0,
    renewable: true,
  });
  return ok({ auth: authBlock(entry, ttl), warnings });
}

/** sys/health: no token; 200 active, 503 sealed, each code overridable by query (`sealedcode`, `activecode`). */
function health(ctx: RouteContext): VaultReply {
  const sealed = ctx.state.sealed;
  const param = sealed ? ctx.query.get("sealedcode") : ctx.query.get("activecode");
  const status = param && /^\d{3}$/.test(param) ? Number(param) : sealed ? 503 : 200;
  return {
    status,
    body: {
      initialized: true,
      sealed,
      standby: false,
      performance_standby: false,
      replication_performance_mode: "disabled",
      replication_dr_mode: "disabled",
      server_time_utc: Math.floor(ctx.state.now() / 1000),
      version: "1.17.0+emulator",
      cluster_name: "leash-dev",
      cluster_id: "00000000-0000-4000-8000-000000000000",
    },
  };
}

function sealStatus(ctx: RouteContext): VaultReply {
  return {
    status: 200,
    body: { type: "shamir", initialized: true, sealed: ctx.state.sealed, t: 1, n: 1, progress: 0 },
  };
}

export const engineRoutes: readonly Route[] = [
  { pattern: /^database\/creds\/(?<role>[^/]+)$/, handlers: { read: databaseCreds } },
  { pattern: /^auth\/approle\/login$/, unauthenticated: true, handlers: { update: approleLogin } },
  { pattern: /^sys\/health$/, unauthenticated: true, handlers: { read: health } },
  { pattern: /^sys\/seal-status$/, unauthenticated: true, handlers: { read: sealStatus } },
  {
    pattern: /^sys\/seal$/,
    sudo: true,
    handlers: {
      update(ctx) {
        ctx.state.sealed = true;
        return { status: 204 };
      },
    },
  },
];

export function notFound(path: string): VaultHttpError {
  const mounted = ["auth/token/", "auth/approle/", "sys/", "database/"].some((m) => `${path}/`.startsWith(m));
  return mounted
    ? new VaultHttpError(404, ["1 error occurred:\n\t* unsupported path\n\n"])
    : new VaultHttpError(404, [`no handler for route "${path}". route entry not found.`]);
}
