import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import { InvalidAccessToken, verifyAccessToken } from "./access-token.js";
import { DPOP_ALGORITHMS, InvalidDpopProof, verifyDpopProof } from "./dpop.js";
import { grantCache } from "./grant-cache.js";
import { allows, scopeOf } from "./intent.js";
import {
  identifierUrl,
  loadAuthorizationServer,
  type ProtectedResourceMetadata,
  protectedResourceMetadata,
  wellKnownUrl,
} from "./metadata.js";
import { type Refusal, type RefusalInput, refuse } from "./refusal.js";
import { memoryReplayCache, type ReplayCache, ReplayCacheFull } from "./replay-cache.js";
import { createRevocationFeed, type RevocationCheck, type RevocationFeed } from "./revocation-feed.js";
import type { Clock, LeashGrant, Need } from "./types.js";

export interface ResourceServerOptions {
  /** This resource's identifier: what agents send as `resource` and tokens carry as `aud` (https, or loopback http). */
  resource: string;
  /** Leash's issuer (its `LEASH_PUBLIC_URL`): its RFC 8414 metadata names the keys and the revocation feed. */
  issuer: string;
  /** The keys that sign access tokens; by default the metadata's `jwks_uri`, fetched and cached. */
  keys?: JWTVerifyGetKey;
  /** How revocation is learnt; by default Leash's revocation feed, polled (see the README). */
  revocation?: RevocationCheck;
  /** Tuning of the default revocation feed. */
  revocationFeed?: { refreshMs?: number; maxStalenessMs?: number };
  /** Further RFC 9728 fields (`resource_name`, `scopes_supported`, ...). */
  metadata?: Readonly<Record<string, unknown>>;
  /** Access token signature algorithms (default ES256, what Leash signs with). */
  algorithms?: readonly string[];
  dpop?: {
    /** Refuse tokens that are not DPoP-bound. */
    required?: boolean;
    algorithms?: readonly string[];
    /** Default 60 s. */
    maxAgeSeconds?: number;
    /** Default 5 s. */
    clockSkewSeconds?: number;
    /** Default: in memory, per process. */
    replay?: ReplayCache;
  };
  /**
   * The URL a client addressed, for DPoP's `htu` (default: this resource's origin and the request's path, never
   * the Host header). Behind a proxy that strips a path prefix, give the public URL.
   */
  requestUrl?: (request: RequestLike) => string;
  /**
   * How long a verified token is trusted before its signature is checked again (default 30 s; 0: every time).
   * Expiry, revocation and DPoP are checked on every request whatever this is; a signing key withdrawn from the
   * issuer's key set stops admitting its tokens this late.
   */
  tokenCacheMs?: number;
  /** Leeway on `exp`, in seconds (default 0). */
  clockToleranceSeconds?: number;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Problems the kit recovers from by itself (a failed poll), for logs; never carries a token. */
  onError?: (error: Error) => void;
}

/** What the kit needs of a request: the Fetch API's Request fits. */
export interface RequestLike {
  method: string;
  url: string;
  headers: Headers;
}

export interface Authenticated {
  ok: true;
  grant: LeashGrant;
  /** The access token as presented (for handing on as MCP's AuthInfo.token; never log it). */
  token: string;
}

export interface ResourceServer {
  readonly resource: string;
  readonly issuer: string;
  /** Where the RFC 9728 metadata is served: absolute, and its path on this server. */
  readonly metadataUrl: string;
  readonly metadataPath: string;
  metadata(): ProtectedResourceMetadata;
  /** Reads the issuer's metadata and waits for a current revocation view; needed before `authenticate`. */
  start(signal?: AbortSignal): Promise<void>;
  close(): void;
  /** Verifies the request's access token (and its DPoP proof), and that its intent covers `need` if given. */
  authenticate(request: RequestLike, need?: Need): Promise<Authenticated | Refusal>;
}

const SCHEME = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** A resource server's view of Leash access tokens (see the README for what each check defends). */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const resource = identifierUrl("resource", options.resource);
  // An issuer compares without its trailing slash (Leash publishes LEASH_PUBLIC_URL without one).
  const issuer = identifierUrl("issuer", options.issuer).replace(/\/+$/, "");
  const clock = options.clock ?? { now: () => Date.now() };
  const fetchFn = options.fetch ?? fetch;
  const metadataUrl = wellKnownUrl(resource, "oauth-protected-resource");
  const origin = new URL(resource).origin;
  const dpopAlgorithms = options.dpop?.algorithms ?? DPOP_ALGORITHMS;
  const dpop = {
    algorithms: dpopAlgorithms,
    maxAgeSeconds: options.dpop?.maxAgeSeconds ?? 60,
    clockSkewSeconds: options.dpop?.clockSkewSeconds ?? 5,
    replay: options.dpop?.replay ?? memoryReplayCache(),
    clock,
  };
  const challenge = { metadataUrl, dpopAlgorithms };
  const verified = grantCache(options.tokenCacheMs ?? 30_000, 10_000, clock);
  let keys = options.keys;
  let revocation = options.revocation;
  let feed: RevocationFeed | undefined;

  const refusal = (input: RefusalInput) => refuse(challenge, input);
  const invalid = (description: string, usedDpop: boolean) =>
    refusal({ error: "invalid_token", description, dpop: usedDpop });
  const unavailable = (description: string) => refusal({ error: "unavailable", description, dpop: false });

  async function start(signal?: AbortSignal): Promise<void> {
    if (keys && revocation) return;
    const as = await loadAuthorizationServer(issuer, fetchFn, signal ?? AbortSignal.timeout(10_000));
    keys ??= createRemoteJWKSet(new URL(as.jwksUri), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      [customFetch]: fetchFn,
    });
    if (revocation) return;
    if (!as.revokedTokensEndpoint)
      throw new Error(`${issuer} publishes no leash_revoked_tokens_endpoint: pass a revocation check`);
    feed = createRevocationFeed({
      endpoint: as.revokedTokensEndpoint,
      clock,
      fetch: fetchFn,
      ...options.revocationFeed,
      ...(options.onError ? { onError: options.onError } : {}),
    });
    revocation = feed;
    await feed.start(signal);
  }

  async function checkDpop(request: RequestLike, token: string, grant: LeashGrant, usedDpop: boolean) {
    if (!grant.jkt) {
      if (usedDpop) return invalid("the access token is not DPoP-bound", true);
      if (options.dpop?.required) return invalid("this resource accepts DPoP-bound tokens only", false);
      return undefined;
    }
    // RFC 9449 §7.1: a bound token presented as a bearer token is refused, or a thief would simply drop the proof.
    if (!usedDpop) return invalid("a DPoP-bound token must be presented with the DPoP scheme", true);
    const proof = request.headers.get("dpop");
    if (!proof) return refusal({ error: "invalid_dpop_proof", description: "no DPoP proof", dpop: true });
    const url = options.requestUrl?.(request) ?? `${origin}${new URL(request.url).pathname}`;
    try {
      await verifyDpopProof({ proof, method: request.method, url, accessToken: token, jkt: grant.jkt }, dpop);
    } catch (error) {
      if (error instanceof InvalidDpopProof)
        return refusal({ error: "invalid_dpop_proof", description: error.message, dpop: true });
      if (error instanceof ReplayCacheFull) return unavailable("too many DPoP proofs to remember");
      throw error;
    }
    return undefined;
  }

  async function authenticate(request: RequestLike, need?: Need): Promise<Authenticated | Refusal> {
    const header = request.headers.get("authorization");
    if (header === null) return refusal({ error: null, description: "no access token", dpop: false });
    const match = SCHEME.exec(header);
    const [, scheme, token] = match ?? [];
    if (!scheme || !token) return invalid("Authorization is not 'Bearer <token>' or 'DPoP <token>'", false);
    const usedDpop = scheme.toLowerCase() === "dpop";
    if (!keys || !revocation) return unavailable("the resource server has not started");
    let grant = verified.get(token);
    if (!grant)
      try {
        grant = await verifyAccessToken(token, {
          issuer,
          resource,
          keys,
          algorithms: options.algorithms ?? ["ES256"],
          clock,
          clockToleranceSeconds: options.clockToleranceSeconds ?? 0,
        });
        verified.set(token, grant);
      } catch (error) {
        if (error instanceof InvalidAccessToken) return invalid(error.message, usedDpop);
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
        return unavailable("the issuer's keys cannot be read");
      }
    const status = await revocation.status({ leaseId: grant.leaseId, expiresAt: grant.expiresAt });
    if (status === "revoked") return invalid("the access token has been revoked", usedDpop);
    if (status === "unknown") return unavailable("whether the token was revoked cannot be known now");
    const dpopRefusal = await checkDpop(request, token, grant, usedDpop);
    if (dpopRefusal) return dpopRefusal;
    if (need && !allows(grant, need))
      return refusal({
        error: "insufficient_scope",
        description: "the token's intent does not cover this request",
        scope: scopeOf(need),
        dpop: usedDpop,
      });
    return { ok: true, grant, token };
  }

  return {
    resource,
    issuer,
    metadataUrl,
    metadataPath: new URL(metadataUrl).pathname,
    metadata: () => protectedResourceMetadata(resource, issuer, options.metadata),
    start,
    close: () => feed?.close(),
    authenticate,
  };
}
