import { badRequest, ok, type VaultReply } from "./reply.js";
import { callerOf, isRoot, type RouteContext } from "./route.js";
import type { TokenEntry, TtlLimits } from "./state.js";
import { parseDurationSeconds, stringMap, weakBool, weakInt, weakString, weakStringList } from "./values.js";

/** The `auth` block of a login, create or renew response. */
export function authBlock(entry: TokenEntry, leaseDuration: number): Record<string, unknown> {
  const policies = [...entry.policies];
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies,
    token_policies: policies,
    metadata: entry.meta,
    lease_duration: leaseDuration,
    renewable: entry.renewable,
    entity_id: "",
    token_type: "service",
    orphan: entry.parent === null,
    mfa_requirement: null,
    num_uses: entry.numUses,
  };
}

/** policyutil.SanitizePolicies: trimmed, de-duplicated, and `root` swallows everything else. */
function sanitizePolicies(policies: readonly string[], addDefault: boolean): string[] {
  const set = new Set(policies.map((p) => p.trim()).filter((p) => p.length > 0));
  if (set.has("root")) return ["root"];
  if (addDefault) set.add("default");
  return [...set];
}

/**
 * framework.CalculateTTL, reduced: the requested TTL (or the default), capped by the explicit max TTL and the
 * system max, each cap adding a warning.
 */
export function effectiveTtl(
  requested: number,
  explicitMax: number,
  limits: TtlLimits,
  warnings: string[],
): number {
  let ttl = requested > 0 ? requested : limits.defaultTtl;
  const max = explicitMax > 0 ? Math.min(explicitMax, limits.maxTtl) : limits.maxTtl;
  if (ttl > max) {
    warnings.push(
      `TTL of "${ttl}s" exceeded the effective max_ttl of "${max}s"; TTL value is capped accordingly`,
    );
    ttl = max;
  }
  return ttl;
}

/** token_store.go handleCreateCommon for service tokens (roles, batch and periodic tokens are not modelled). */
export function createToken(ctx: RouteContext, orphanPath: boolean): VaultReply {
  const parent = callerOf(ctx);
  const { body, state } = ctx;
  if (parent.numUses > 0) throw badRequest("restricted use token cannot generate child tokens");

  const type = weakString(body.type, "type");
  if (type === "batch") throw badRequest("batch tokens are not supported by this emulator");
  if (type !== undefined && type !== "" && type !== "service") throw badRequest("invalid 'token_type' value");
  if (parseDurationSeconds(body.period, "period") > 0) {
    throw badRequest("periodic tokens are not supported by this emulator");
  }

  const numUses = weakInt(body.num_uses, "num_uses") ?? 0;
  if (numUses < 0) throw badRequest("number of uses cannot be negative");

  const id = weakString(body.id, "id");
  if (id !== undefined && id !== "" && !ctx.sudo) {
    throw badRequest("root or sudo privileges required to specify token id");
  }

  const noDefault = weakBool(body.no_default_policy, "no_default_policy") ?? false;
  const requested = weakStringList(body.policies, "policies") ?? [];
  const asked = requested.length > 0 ? requested : [...parent.policies];
  let addDefault: boolean;
  if (ctx.sudo) {
    addDefault = !noDefault;
  } else {
    const held = new Set(sanitizePolicies(parent.policies, false).filter((p) => p !== "default"));
    const wanted = sanitizePolicies(asked, false).filter((p) => p !== "default");
    if (!wanted.every((p) => held.has(p))) throw badRequest("child policies must be subset of parent");
    addDefault = !noDefault && parent.policies.includes("default");
  }
  let policies = sanitizePolicies(asked, addDefault);
  if (noDefault) policies = policies.filter((p) => p !== "default");
  if (policies.includes("root") && !isRoot(parent)) {
    throw badRequest("root tokens may not be created without parent token being root");
  }

  let orphan = orphanPath;
  if (weakBool(body.no_parent, "no_parent")) {
    if (!ctx.sudo) throw badRequest("root or sudo privileges required to create orphan token");
    orphan = true;
  }

  const explicitMaxTtl = parseDurationSeconds(body.explicit_max_ttl, "explicit_max_ttl");
  if (explicitMaxTtl < 0) throw badRequest("explicit_max_ttl must be positive");
  const ttlRequested = parseDurationSeconds(body.ttl ?? body.lease, "ttl");
  if (ttlRequested < 0) throw badRequest("ttl must be positive");

  const warnings: string[] = [];
  let ttl: number;
  if (ttlRequested === 0 && policies.includes("root")) {
    // A root token with no TTL never expires, unless an explicit max TTL bounds it.
    ttl = explicitMaxTtl;
  } else {
    ttl = effectiveTtl(ttlRequested, explicitMaxTtl, state.limits, warnings);
  }
  if (ttl === 0 && parent.expireAt !== null) {
    throw badRequest("expiring root tokens cannot create non-expiring root tokens");
  }

  const displayName = weakString(body.display_name, "display_name");
  const capSeconds = explicitMaxTtl > 0 ? Math.min(explicitMaxTtl, state.limits.maxTtl) : state.limits.maxTtl;
  const entry = state.addToken({
    ...(id ? { id } : {}),
    parent: orphan ? null : parent.id,
    policies,
    meta: stringMap(body.meta, "meta") ?? null,
    displayName: displayName
      ? `token-${displayName}`.replace(/[^a-zA-Z0-9-]/g, "-").replace(/-+$/, "")
      : "token",
    path: `auth/token/${orphanPath ? "create-orphan" : "create"}`,
    ttl,
    explicitMaxTtl,
    maxExpireAt: ttl === 0 ? null : state.now() + capSeconds * 1000,
    numUses,
    renewable: weakBool(body.renewable, "renewable") ?? true,
  });
  for (const p of policies) {
    if (p !== "root" && !state.policies.has(p)) warnings.push(`Policy "${p}" does not exist`);
  }
  return ok({ auth: authBlock(entry, ttl), warnings });
}
