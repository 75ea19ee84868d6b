import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

export const ISSUER = "https://leash.example";
export const RESOURCE = "https://tools.example/mcp";
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
export const NOW_S = Math.floor(NOW / 1000);

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export interface Signer {
  privateKey: PrivateKey;
  jwk: JWK;
  kid: string;
}

export async function signer(kid = "leash-test"): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }, kid };
}

export const keysOf = (...signers: Signer[]) => createLocalJWKSet({ keys: signers.map((s) => s.jwk) });

/** Claims of a valid access token for RESOURCE at NOW; `overrides` replace (undefined removes) claims. */
function accessClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    sub: "spiffe://example.org/agent/a",
    aud: RESOURCE,
    iat: NOW_S,
    exp: NOW_S + 300,
    jti: "lease-1",
    client_id: "spiffe://example.org/agent/a",
    task_id: "task-1",
    authorization_details: [{ type: "leash_intent", task_id: "task-1", action: "read", resource: "docs/" }],
    ...overrides,
  };
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
  return claims;
}

export async function accessToken(
  key: Signer,
  overrides: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(accessClaims(overrides))
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt", ...header })
    .sign(key.privateKey);
}

export interface DpopKey {
  privateKey: PrivateKey;
  publicJwk: JWK;
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, "sha256") };
}

async function ath(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Buffer.from(digest).toString("base64url");
}

/** A DPoP proof (RFC 9449 §4.2) for a request at NOW; `claims` replace (undefined removes) the defaults. */
export async function dpopProof(
  key: DpopKey,
  token: string | undefined,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: "POST",
    htu: RESOURCE,
    iat: NOW_S,
    ...(token ? { ath: await ath(token) } : {}),
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk, ...header })
    .sign(key.privateKey);
}

export const frozenClock = (at = NOW) => {
  let now = at;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
};
