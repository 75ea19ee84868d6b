import {
  type Clock,
  type CredentialProvider,
  type Intent,
  LeashError,
  type RevokeOutcome,
  type RevokeRequest,
  systemClock,
  type TargetCut,
} from "@leash/core";
import { z } from "zod";
import { VaultProviderConfig, type VaultProviderConfigInput, type VaultTarget } from "./config.js";
import { connectVault } from "./connect.js";
import { mintDynamic, mintToken } from "./mint.js";
import type { Env } from "./session.js";
import { findLeashTokens, revokeAccessor } from "./tokens.js";

export interface VaultProviderDeps {
  /** Where `token_env` / `secret_id_env` are read. Default: process.env. */
  env?: Env;
  clock?: Clock;
  readFile?: (path: string) => Buffer;
  /** Called when the background renewal of Leash's own token fails (it is retried). */
  onRenewalError?: (error: LeashError) => void;
}

export interface VaultProvider extends CredentialProvider {
  /** Logs in (or checks the configured token) and starts renewing it. The first call does the same lazily. */
  start(signal?: AbortSignal): Promise<void>;
  /** Stops the renewal timer and closes pooled connections. */
  close(): void;
}

/** What revoke() needs later. Identifiers only: the token itself is never stored. */
const Handle = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("token"), accessor: z.string().min(1) }),
  z.object({
    kind: z.literal("lease"),
    vault_lease_id: z.string().min(1),
    accessor: z.string().min(1).optional(),
  }),
]);

/**
 * Vault behind the CredentialProvider port, written for a real Vault. Every token Leash creates is an orphan (so
 * revoking Leash's own token never takes agents' tokens with it, and theirs never outlive their lease: ttl and
 * explicit_max_ttl are the lease TTL) and carries `meta.leash_lease_id`, which makes it findable from the lease
 * even when the process dies before the handle is stored. Dynamic secrets are read with such a per-lease token:
 * Vault ties a secret's lease to the token that read it, so revoking that token revokes the secret too.
 */
export function createVaultProvider(
  input: VaultProviderConfigInput,
  deps: VaultProviderDeps = {},
): VaultProvider {
  const config = VaultProviderConfig.parse(input);
  const clock = deps.clock ?? systemClock;
  const { http, session } = connectVault(config, { ...deps, clock });

  function targetOf(name: string | null | undefined): VaultTarget {
    if (name === undefined || name === null || !Object.hasOwn(config.targets, name)) {
      throw new LeashError("unknown_target", `vault has no target ${JSON.stringify(name ?? null)}`);
    }
    const target = config.targets[name];
    if (!target) throw new LeashError("unknown_target", `vault has no target ${JSON.stringify(name)}`);
    return target;
  }

  function checkAction(name: string, target: VaultTarget, intent: Intent): void {
    if (target.actions && !target.actions.includes(intent.action)) {
      throw new LeashError(
        "provider_access_denied",
        `vault target ${name} does not serve action ${JSON.stringify(intent.action)}`,
      );
    }
  }

  async function revokeHandle(handle: z.infer<typeof Handle>, signal: AbortSignal): Promise<void> {
    if (handle.kind === "lease") {
      // An unknown lease id is 204: revocation is idempotent (expiration.go revokeCommon).
      await session.call(
        { method: "PUT", path: "sys/leases/revoke", body: { lease_id: handle.vault_lease_id } },
        signal,
      );
    }
    if (handle.accessor) await revokeAccessor(session, handle.accessor, signal);
  }

  function parseHandle(request: RevokeRequest): z.infer<typeof Handle> | undefined {
    if (request.handle === null) return undefined;
    const parsed = Handle.safeParse(request.handle);
    if (!parsed.success) {
      throw new LeashError(
        "provider_rejected",
        `vault: lease ${request.leaseId} has an unreadable revocation handle`,
      );
    }
    return parsed.data;
  }

  async function reclaim(request: RevokeRequest, signal: AbortSignal): Promise<void> {
    const handle = parseHandle(request);
    if (handle) await revokeHandle(handle, signal);
    const minted = await findLeashTokens(session, (t) => t.meta.leash_lease_id === request.leaseId, signal);
    for (const token of minted) await revokeAccessor(session, token.accessor, signal);
  }

  return {
    name: "vault",
    maxTtlSeconds(target) {
      return target !== undefined && Object.hasOwn(config.targets, target)
        ? config.targets[target]?.max_ttl_seconds
        : undefined;
    },
    validate(target, intent) {
      checkAction(target ?? "", targetOf(target), intent);
    },
    async mint(request, signal) {
      const target = targetOf(request.target);
      const name = request.target ?? "";
      checkAction(name, target, request.intent);
      const ctx = { session, http, clock };
      return target.kind === "token"
        ? mintToken(ctx, request, name, target, signal)
        : mintDynamic(ctx, request, name, target, signal);
    },
    async revoke(request, signal): Promise<RevokeOutcome> {
      const handle = parseHandle(request);
      if (handle) await revokeHandle(handle, signal);
      else await reclaim(request, signal);
      return {};
    },
    reclaim,
    async cutTarget(cut: TargetCut, signal) {
      const target = targetOf(cut.target);
      if (target.kind === "dynamic") {
        // Revokes every lease of the role at once (sudo). Use a Vault role dedicated to Leash: others' leases on a
        // shared role would go too, as would Leash leases issued after `issuedBefore` (a superset, never fewer).
        await session.call(
          { method: "PUT", path: `sys/leases/revoke-prefix/${target.mount}/creds/${target.role}` },
          signal,
        );
        return true;
      }
      // Vault cannot revoke tokens by policy or metadata: finding them means looking up every accessor, which
      // grows with all the tokens in Vault. Each lease holds its token's accessor, so one call per lease is cheaper.
      return false;
    },
    async start(signal = AbortSignal.timeout(config.request_timeout_ms * 3)) {
      await session.start(signal);
    },
    close() {
      session.close();
      http.close();
    },
  };
}
