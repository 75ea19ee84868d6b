import {
  calculateJwkThumbprint,
  errors,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  jwtVerify,
} from "jose";
import type { ReplayCache } from "./replay-cache.js";
import type { Clock } from "./types.js";

/** RFC 9449 §4.3 point 2: asymmetric algorithms only; `none` and HMAC never verify a proof. */
export const DPOP_ALGORITHMS = ["ES256", "ES384", "EdDSA", "PS256", "RS256"] as const;

export interface DpopOptions {
  algorithms: readonly string[];
  /** How old a proof may be (its `iat`), in seconds: the acceptance window replay protection covers. */
  maxAgeSeconds: number;
  /** How far in the future a proof's `iat` may be, for clocks running ahead. */
  clockSkewSeconds: number;
  replay: ReplayCache;
  clock: Clock;
}

export interface DpopRequest {
  /** The DPoP header as received (several headers arrive joined with commas). */
  proof: string;
  method: string;
  /** The URL the client addressed: this resource's origin and the request's path. */
  url: string;
  accessToken: string;
  /** The token's `cnf.jkt`. */
  jkt: string;
}

/** Imported proof keys by their JWK text: an agent signs every proof with the same key. */
const KEY_CACHE_MAX = 1_000;
const proofKeys = new Map<string, Awaited<ReturnType<typeof importJWK>>>();

/**
 * jose's EmbeddedJWK (the key is the proof's `jwk` header, which must be a public key), with the import kept:
 * importing a key costs as much as verifying the signature it checks.
 */
async function embeddedKey(header: JWTHeaderParameters) {
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk))
    throw new errors.JWSInvalid('"jwk" (JSON Web Key) Header Parameter must be a JSON object');
  const id = `${header.alg}\u0000${JSON.stringify(jwk)}`;
  let key = proofKeys.get(id);
  if (!key) {
    key = await importJWK({ ...jwk, ext: true }, header.alg);
    if (key instanceof Uint8Array || key.type !== "public")
      throw new errors.JWSInvalid('"jwk" (JSON Web Key) Header Parameter must be a public key');
    if (proofKeys.size >= KEY_CACHE_MAX) proofKeys.delete(proofKeys.keys().next().value as string);
    proofKeys.set(id, key);
  }
  return key;
}

export class InvalidDpopProof extends Error {
  override readonly name = "InvalidDpopProof";
}

/** `htu` is compared without query and fragment (RFC 9449 §4.3 point 9), after URL syntax normalisation. */
function targetOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

async function sha256(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return Buffer.from(digest).toString("base64url");
}

/**
 * Checks a DPoP proof presented with a DPoP-bound access token (RFC 9449 §4.3 and §7.1): one proof, a JWS of
 * `typ` dpop+jwt signed with an asymmetric algorithm by the public key in its `jwk` header (jose verifies the
 * signature and refuses private keys there), `htm` and `htu` of this request, `iat` within the window, `ath` the
 * hash of this access token, the key's thumbprint the token's `cnf.jkt`, and a `jti` not seen within the window.
 * The `jti` is recorded last, so a proof that fails another check cannot burn a legitimate one.
 */
export async function verifyDpopProof(request: DpopRequest, opts: DpopOptions): Promise<void> {
  if (request.proof.includes(",")) throw new InvalidDpopProof("exactly one DPoP proof is expected");
  const now = opts.clock.now();
  let payload: Record<string, unknown>;
  let jwk: Record<string, unknown> | undefined;
  try {
    const verified = await jwtVerify(request.proof, embeddedKey, {
      typ: "dpop+jwt",
      algorithms: [...opts.algorithms],
      currentDate: new Date(now),
      requiredClaims: ["jti", "htm", "htu", "iat"],
    });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as Record<string, unknown> | undefined;
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidDpopProof("the DPoP proof does not verify");
    throw error;
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256)
    throw new InvalidDpopProof("the DPoP proof's jti is malformed");
  if (htm !== request.method) throw new InvalidDpopProof("the DPoP proof is for another method");
  if (typeof htu !== "string" || targetOf(htu) === undefined || targetOf(htu) !== targetOf(request.url))
    throw new InvalidDpopProof("the DPoP proof is for another URL");
  if (typeof iat !== "number") throw new InvalidDpopProof("the DPoP proof has no iat");
  const ageSeconds = now / 1000 - iat;
  if (ageSeconds > opts.maxAgeSeconds || -ageSeconds > opts.clockSkewSeconds)
    throw new InvalidDpopProof("the DPoP proof is outside its acceptance window");
  if (typeof ath !== "string" || ath !== (await sha256(request.accessToken)))
    throw new InvalidDpopProof("the DPoP proof is for another access token");
  if (!jwk || (await calculateJwkThumbprint(jwk, "sha256")) !== request.jkt)
    throw new InvalidDpopProof("the DPoP proof is signed by another key than the token is bound to");
  const expiresAt = (iat + opts.maxAgeSeconds) * 1000 + 1;
  if (!(await opts.replay.useOnce(jti, Math.max(expiresAt, now + 1), now)))
    throw new InvalidDpopProof("the DPoP proof was used already");
}
