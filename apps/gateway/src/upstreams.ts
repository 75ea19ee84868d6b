import type { Clock, CredentialProvider } from "@leash/core";
import {
  createLeaseCredentials,
  type GatewayConfig,
  type GatewayUpstream,
  type VaultKvReader,
} from "@leash/providers";
import { type Injector, sigV4Injector, staticInjector, vaultTokenInjector } from "./injectors.js";

/** One configured upstream, ready to forward to. */
export interface Upstream {
  name: string;
  /** `scheme://host[:port]`, where undici connects. */
  origin: string;
  /** The authority sent as `Host` (and signed by SigV4). */
  host: string;
  /** The URL's path without its final `/` (`""` for an origin). */
  basePath: string;
  /** S3 (path-style, one bucket): listings are action `list` on their prefix. */
  s3: boolean;
  config: GatewayUpstream;
  injector: Injector;
}

export interface UpstreamDeps {
  /** Reads `vault_kv` secrets (static header and query auth); absent when no upstream needs one. */
  kv: VaultKvReader | undefined;
  /** The broker's providers, for credentials minted per lease: `aws-sts` (SigV4) and `vault` (vault-token). */
  providers: ReadonlyMap<string, CredentialProvider>;
  clock: Clock;
  /** Bounds each mint or revoke the gateway makes for itself. */
  timeoutMs: number;
  onRevokeError?: (error: unknown, leaseId: string) => void;
}

function provider(deps: UpstreamDeps, name: "aws-sts" | "vault", upstream: string): CredentialProvider {
  const found = deps.providers.get(name);
  if (!found) throw new Error(`gateway.upstreams.${upstream}: needs providers.${name}`);
  return found;
}

function injectorOf(name: string, config: GatewayUpstream, deps: UpstreamDeps): Injector {
  const auth = config.auth;
  const perLease = (p: CredentialProvider, target: string, revokeOnEnd: boolean) =>
    createLeaseCredentials(p, {
      target,
      revokeOnEnd,
      timeoutMs: deps.timeoutMs,
      clock: deps.clock,
      ...(deps.onRevokeError ? { onRevokeError: deps.onRevokeError } : {}),
    });
  switch (auth.type) {
    case "header":
    case "query":
      if (!deps.kv)
        throw new Error(
          `gateway.upstreams.${name}: a vault_kv secret needs gateway.vault or providers.vault`,
        );
      return staticInjector(auth, deps.kv);
    case "vault-token":
      return vaultTokenInjector(perLease(provider(deps, "vault", name), auth.target, true));
    case "aws-sigv4":
      return sigV4Injector(perLease(provider(deps, "aws-sts", name), auth.target, false), auth, deps.clock);
  }
}

/** Builds every configured upstream once at start-up; a missing provider or Vault stops start-up naming the key. */
export function buildUpstreams(config: GatewayConfig, deps: UpstreamDeps): ReadonlyMap<string, Upstream> {
  const upstreams = new Map<string, Upstream>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    const url = new URL(upstream.url);
    upstreams.set(name, {
      name,
      origin: url.origin,
      host: url.host,
      basePath: url.pathname.replace(/\/+$/, ""),
      s3: upstream.auth.type === "aws-sigv4" && upstream.auth.service === "s3",
      config: upstream,
      injector: injectorOf(name, upstream, deps),
    });
  }
  return upstreams;
}
