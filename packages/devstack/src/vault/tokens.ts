import { badRequest, NO_CONTENT, ok, VaultHttpError, type VaultReply } from "./reply.js";
import { callerOf, type Route, type RouteContext } from "./route.js";
import type { TokenEntry, VaultState } from "./state.js";
import { authBlock, createToken } from "./token-create.js";
import { rfc3339, weakInt, weakString } from "./values.js";

/** token_store.go handleLookup: the `data` of lookup, lookup-self and lookup-accessor. */
function lookupData(entry: TokenEntry, now: number, hideId: boolean): Record<string, unknown> {
  return {
    id: hideId ? "" : entry.id,
    accessor: entry.accessor,
    policies: [...entry.policies],
    path: entry.path,
    meta: entry.meta,
    display_name: entry.displayName,
    num_uses: entry.numUses,
    orphan: entry.parent === null,
    creation_time: Math.floor(entry.creationTime / 1000),
    creation_ttl: entry.creationTtl,
    expire_time: entry.expireAt === null ? null : rfc3339(entry.expireAt),
    ttl: entry.expireAt === null ? 0 : Math.max(0, Math.ceil((entry.expireAt - now) / 1000)),
    explicit_max_ttl: entry.explicitMaxTtl,
    entity_id: "",
    type: "service",
    issue_time: rfc3339(entry.creationTime),
    renewable: entry.renewable,
    ...(entry.lastRenewal === null
      ? {}
      : {
          last_renewal_time: Math.floor(entry.lastRenewal / 1000),
          last_renewal: rfc3339(entry.lastRenewal),
        }),
  };
}

function tokenParam(ctx: RouteContext): string {
  const token = weakString(ctx.body.token, "token") ?? "";
  if (token === "") throw badRequest("missing token ID");
  return token;
}

/** Unknown accessors are 400 `invalid accessor` for lookup *and* revoke (token_store.go lookupByAccessor). */
function byAccessor(state: VaultState, ctx: RouteContext): TokenEntry {
  const accessor = weakString(ctx.body.accessor, "accessor") ?? "";
  if (accessor === "") throw badRequest("missing accessor");
  const entry = state.tokenByAccessor(accessor);
  if (!entry) throw badRequest("invalid accessor");
  return entry;
}

/**
 * expiration.go RenewToken, reduced: the new TTL is the increment (or the TTL the token was created with), never
 * past the token's max; a token without a lease (a root token) or created non-renewable cannot be renewed.
 */
function renew(ctx: RouteContext, entry: TokenEntry): VaultReply {
  if (entry.expireAt === null) throw badRequest("lease not found or lease is not renewable");
  if (!entry.renewable) throw badRequest("lease is not renewable");
  const now = ctx.state.now();
  const increment = weakInt(ctx.body.increment, "increment") ?? 0;
  const wanted = increment > 0 ? increment : entry.creationTtl;
  let expireAt = now + wanted * 1000;
  const warnings: string[] = [];
  if (entry.maxExpireAt !== null && expireAt > entry.maxExpireAt) {
    expireAt = entry.maxExpireAt;
    warnings.push(
      `TTL of "${wanted}s" exceeded the effective max_ttl of "${Math.floor((expireAt - now) / 1000)}s"; TTL value is capped accordingly`,
    );
  }
  entry.expireAt = expireAt;
  entry.lastRenewal = now;
  return ok({ auth: authBlock(entry, Math.floor((expireAt - now) / 1000)), warnings });
}

export const tokenRoutes: readonly Route[] = [
  { pattern: /^auth\/token\/create$/, handlers: { update: (ctx) => createToken(ctx, false) } },
  { pattern: /^auth\/token\/create-orphan$/, handlers: { update: (ctx) => createToken(ctx, true) } },
  {
    pattern: /^auth\/token\/lookup$/,
    handlers: {
      update(ctx) {
        const entry = ctx.state.token(tokenParam(ctx));
        // An unknown token is reported as a permission problem, so lookups cannot probe for token ids.
        if (!entry) throw new VaultHttpError(403, ["bad token"]);
        return ok({ data: lookupData(entry, ctx.state.now(), false) });
      },
    },
  },
  {
    pattern: /^auth\/token\/lookup-self$/,
    handlers: { read: (ctx) => ok({ data: lookupData(callerOf(ctx), ctx.state.now(), false) }) },
  },
  {
    pattern: /^auth\/token\/lookup-accessor$/,
    handlers: {
      update: (ctx) => ok({ data: lookupData(byAccessor(ctx.state, ctx), ctx.state.now(), true) }),
    },
  },
  {
    pattern: /^auth\/token\/revoke$/,
    handlers: {
      update(ctx) {
        // revokeCommon returns nil for an unknown token: 204, so callers learn nothing about token ids.
        ctx.state.revokeToken(tokenParam(ctx));
        return NO_CONTENT;
      },
    },
  },
  {
    pattern: /^auth\/token\/revoke-self$/,
    handlers: {
      update(ctx) {
        ctx.state.revokeToken(callerOf(ctx).id);
        return NO_CONTENT;
      },
    },
  },
  {
    pattern: /^auth\/token\/revoke-accessor$/,
    handlers: {
      update(ctx) {
        ctx.state.revokeToken(byAccessor(ctx.state, ctx).id);
        return NO_CONTENT;
      },
    },
  },
  {
    pattern: /^auth\/token\/revoke-orphan$/,
    handlers: {
      update(ctx) {
        const id = tokenParam(ctx);
        if (!ctx.sudo) throw badRequest("root or sudo privileges required to revoke and orphan");
        if (!ctx.state.token(id)) throw badRequest("token to revoke not found");
        ctx.state.revokeOrphan(id);
        return NO_CONTENT;
      },
    },
  },
  {
    pattern: /^auth\/token\/renew$/,
    handlers: {
      update(ctx) {
        const entry = ctx.state.token(tokenParam(ctx));
        if (!entry) throw badRequest("token not found");
        return renew(ctx, entry);
      },
    },
  },
  { pattern: /^auth\/token\/renew-self$/, handlers: { update: (ctx) => renew(ctx, callerOf(ctx)) } },
  {
    pattern: /^auth\/token\/renew-accessor$/,
    handlers: { update: (ctx) => renew(ctx, byAccessor(ctx.state, ctx)) },
  },
  {
    // Listing every accessor can be used for denial of service, so Vault wants `sudo` as well as `list`.
    pattern: /^auth\/token\/accessors$/,
    sudo: true,
    handlers: {
      list(ctx) {
        const keys = [...ctx.state.accessors.keys()];
        if (keys.length === 0) throw new VaultHttpError(404, []);
        return ok({ data: { keys } });
      },
    },
  },
];
