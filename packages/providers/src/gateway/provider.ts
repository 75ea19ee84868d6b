import {
  type CredentialProvider,
  type GatewayRevocation,
  type GatewayRevocations,
  type Intent,
  LeashError,
  type MintedCredential,
  type MintRequest,
  type RevokeRequest,
  type TargetCut,
} from "@leash/core";
import type { SigningKeyFile } from "../leash-jwt/keys.js";
import { type GatewayConfig, type GatewayUpstream, methodsFor } from "./config.js";
import { gatewayBaseUrl, signGatewayToken } from "./token.js";

export interface GatewayProviderOptions {
  config: GatewayConfig;
  /** `iss` of gateway tokens: Leash's public URL. */
  issuer: string;
  /** The gateway's public URL: `base_url` is `<it>/u/<upstream>/`. */
  publicUrl: string;
  keys: SigningKeyFile;
  revocations: GatewayRevocations;
  maxTtlSeconds: number;
}

/**
 * How long a revocation entry outlives the credentials it covers: gateways check `exp` on their own clocks, and one
 * running behind must still find the entry until it sees the token expired.
 */
export const GATEWAY_CLOCK_SKEW_MS = 30_000;

/**
 * Gateway leases: the agent gets a token that the gateways accept under `/u/<upstream>/` for the intent's methods
 * and path, never the upstream's secret. Ending a lease records a revocation the gateways follow (see
 * @leash/store's live lease view), so the next request is refused; the worker confirms the end once it is durable.
 */
export function createGatewayProvider(opts: GatewayProviderOptions): CredentialProvider {
  const maxTtlMs = opts.maxTtlSeconds * 1000;

  function upstreamOf(target: string | null | undefined): GatewayUpstream {
    const upstreams = opts.config.upstreams;
    const upstream = target != null && Object.hasOwn(upstreams, target) ? upstreams[target] : undefined;
    if (!upstream)
      throw new LeashError("unknown_target", `gateway has no upstream ${JSON.stringify(target ?? null)}`);
    return upstream;
  }

  function methodsOf(target: string, intent: Intent): readonly string[] {
    const methods = methodsFor(upstreamOf(target), intent.action);
    if (methods.length === 0)
      throw new LeashError(
        "provider_access_denied",
        `gateway upstream ${target} allows no method for action ${JSON.stringify(intent.action)}`,
      );
    return methods;
  }

  async function record(entry: GatewayRevocation, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await opts.revocations.record([entry]).catch((cause: unknown) => {
      throw new LeashError("provider_unavailable", "gateway: the revocation could not be recorded", {
        retry: true,
        cause,
      });
    });
  }

  /** The entry that ends one lease, kept until its credential has expired everywhere. */
  function leaseEntry(request: RevokeRequest): GatewayRevocation {
    const expiresAt = request.providerExpiresAt ?? request.issuedAt + maxTtlMs;
    return { kind: "lease", leaseId: request.leaseId, expiresAt: expiresAt + GATEWAY_CLOCK_SKEW_MS };
  }

  return {
    name: "gateway",
    // A token is only a signature over the lease: signing again for a replay creates nothing anywhere.
    remintable: true,
    mintsInProcess: true,
    maxTtlSeconds: () => opts.maxTtlSeconds,
    validate(target, intent) {
      if (target === undefined)
        throw new LeashError("unknown_target", "gateway needs a target: the name of a configured upstream");
      methodsOf(target, intent);
    },
    async mint(request: MintRequest, signal: AbortSignal): Promise<MintedCredential> {
      const upstream = request.target ?? "";
      const methods = methodsOf(upstream, request.intent);
      signal.throwIfAborted();
      // Cuts compare the lease's own issue instant; a request without it (not from the broker) derives it.
      const issuedAt = request.issuedAt ?? request.expiresAt - request.ttlSeconds * 1000;
      const token = await signGatewayToken(opts.keys, {
        issuer: opts.issuer,
        publicUrl: opts.publicUrl,
        leaseId: request.leaseId,
        taskId: request.taskId,
        agent: request.agent,
        upstream,
        intent: request.intent,
        methods,
        issuedAt,
        expiresAt: request.expiresAt,
      });
      return {
        credential: { token, token_type: "Bearer", base_url: gatewayBaseUrl(opts.publicUrl, upstream) },
        // The lease id and target are all revocation needs: nothing else is stored.
        handle: {},
        providerExpiresAt: request.expiresAt,
        scope: [`${request.intent.action}:${request.intent.resource}`],
      };
    },
    async revoke(request, signal) {
      await record(leaseEntry(request), signal);
      return {};
    },
    async reclaim(request, signal) {
      await record(leaseEntry(request), signal);
    },
    async cutTarget(cut: TargetCut, signal: AbortSignal) {
      const expiresAt = cut.issuedBefore + maxTtlMs + GATEWAY_CLOCK_SKEW_MS;
      await record({ kind: "cut", upstream: cut.target, issuedBefore: cut.issuedBefore, expiresAt }, signal);
      return true;
    },
  };
}
