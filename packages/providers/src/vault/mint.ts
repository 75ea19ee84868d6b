import type { Clock, MintedCredential, MintRequest } from "@leash/core";
import type { DynamicTarget, TokenTarget } from "./config.js";
import type { VaultHttp } from "./http.js";
import { AuthResponse, parseVault, SecretResponse } from "./responses.js";
import type { VaultSession } from "./session.js";
import { type LeashTokenMeta, revokeAccessor } from "./tokens.js";

export interface MintContext {
  session: VaultSession;
  http: VaultHttp;
  clock: Clock;
}

const CREATE_ORPHAN = "auth/token/create-orphan";

/**
 * An orphan token that dies with the lease: ttl = explicit_max_ttl = the lease TTL, not renewable, and tagged
 * with the lease id so that reclaim() finds it even if the process dies before the handle is stored. Orphan, so
 * that revoking or losing Leash's own token does not take agents' tokens down with it.
 * (`write`-style call: node-vault's generated tokenCreateOrphan would replace the client's own token.)
 */
async function createOrphan(
  ctx: MintContext,
  request: MintRequest,
  target: string,
  ttl: number,
  policies: readonly string[] | undefined,
  noDefaultPolicy: boolean,
  signal: AbortSignal,
) {
  const meta: LeashTokenMeta = {
    leash_lease_id: request.leaseId,
    leash_task_id: request.taskId,
    leash_agent: request.agent,
    leash_target: target,
  };
  const body = await ctx.session.call(
    {
      method: "POST",
      path: CREATE_ORPHAN,
      body: {
        ...(policies ? { policies } : {}),
        meta,
        ttl: `${ttl}s`,
        explicit_max_ttl: `${ttl}s`,
        renewable: false,
        display_name: `leash-${request.leaseId}`,
        no_default_policy: noDefaultPolicy,
        num_uses: 0,
      },
    },
    signal,
  );
  return parseVault(AuthResponse, body, CREATE_ORPHAN).auth;
}

function leaseTtl(request: MintRequest, maxTtlSeconds: number): number {
  return Math.max(1, Math.min(request.ttlSeconds, maxTtlSeconds));
}

export async function mintToken(
  ctx: MintContext,
  request: MintRequest,
  name: string,
  target: TokenTarget,
  signal: AbortSignal,
): Promise<MintedCredential> {
  const ttl = leaseTtl(request, target.max_ttl_seconds);
  const auth = await createOrphan(ctx, request, name, ttl, target.policies, target.no_default_policy, signal);
  return {
    credential: { token: auth.client_token },
    handle: { kind: "token", accessor: auth.accessor },
    providerExpiresAt: ctx.clock.now() + auth.lease_duration * 1000,
    scope: target.policies.map((p) => `vault:policy:${p}`),
  };
}

/**
 * Reads `<mount>/creds/<role>` with a per-lease reader token. Vault ties a secret's lease to the token that read
 * it, so the secret is revoked with that token: when Leash revokes it by accessor, when reclaim() finds it by its
 * `leash_lease_id`, or when it expires at the end of the lease, whichever comes first.
 */
export async function mintDynamic(
  ctx: MintContext,
  request: MintRequest,
  name: string,
  target: DynamicTarget,
  signal: AbortSignal,
): Promise<MintedCredential> {
  const ttl = leaseTtl(request, target.max_ttl_seconds);
  const reader = await createOrphan(ctx, request, name, ttl, target.reader_policies, true, signal);
  const path = `${target.mount}/creds/${target.role}`;
  try {
    const body = await ctx.http.call({ method: "GET", path, token: reader.client_token }, signal);
    const secret = parseVault(SecretResponse, body, path);
    const lifetime = Math.min(secret.lease_duration || ttl, reader.lease_duration || ttl);
    return {
      credential: { data: secret.data, vault_lease_id: secret.lease_id },
      handle: { kind: "lease", vault_lease_id: secret.lease_id, accessor: reader.accessor },
      providerExpiresAt: ctx.clock.now() + lifetime * 1000,
      scope: [`vault:${path}`],
    };
  } catch (error) {
    // Nothing we can hand out: take the reader token (and whatever it may have read) back, best effort.
    await revokeAccessor(ctx.session, reader.accessor, signal).catch(() => undefined);
    throw error;
  }
}
