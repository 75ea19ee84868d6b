import { importJWK, SignJWT } from "jose";
import { z } from "zod";
import {
  type DevSigningJwk,
  generateSigningJwk,
  loadOrCreateSigningJwk,
  readSigningJwk,
} from "./key-file.js";

export interface PublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: "ES256";
  use: "sig";
}

export interface DevJwks {
  keys: PublicJwk[];
}

export const MintRequest = z.object({
  sub: z.string().min(1),
  aud: z.union([z.string().min(1), z.array(z.string().min(1)).nonempty()]).default("leash"),
  ttlSeconds: z.number().int().positive().default(3600),
  /** Further claims; `iss`, `sub`, `aud`, `iat`, `exp` and `jti` are always set by the issuer. */
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type MintRequest = z.input<typeof MintRequest>;

export interface DevIssuer {
  readonly kid: string;
  /** Undefined until given to createDevIssuer or bound by startDevIssuerServer. */
  readonly issuerUrl: string | undefined;
  /** Sets the `iss` of minted tokens; a different URL than one already bound is refused. */
  bindIssuerUrl(url: string): void;
  mint(request: MintRequest): Promise<string>;
  jwks(): DevJwks;
}

export interface DevIssuerOptions {
  /** Private key file (JWK). Created with mode 0600 when missing; without it the key lives in memory only. */
  keyFile?: string;
  issuerUrl?: string;
}

/** An OIDC-like issuer for development and tests; production uses SPIRE, a Kubernetes issuer or similar. */
export async function createDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const jwk =
    options.keyFile === undefined
      ? await generateSigningJwk()
      : await loadOrCreateSigningJwk(options.keyFile);
  return issuerFromJwk(jwk, options.issuerUrl);
}

async function issuerFromJwk(jwk: DevSigningJwk, initialUrl: string | undefined): Promise<DevIssuer> {
  const signingKey = await importJWK(jwk, "ES256");
  const publicJwk: PublicJwk = {
    kty: "EC",
    crv: "P-256",
    x: jwk.x,
    y: jwk.y,
    kid: jwk.kid,
    alg: "ES256",
    use: "sig",
  };
  let issuerUrl = initialUrl;

  return {
    kid: jwk.kid,
    get issuerUrl() {
      return issuerUrl;
    },
    bindIssuerUrl(url: string) {
      if (issuerUrl !== undefined && issuerUrl !== url) {
        throw new Error(`dev issuer is already bound to ${issuerUrl}, not ${url}`);
      }
      issuerUrl = url;
    },
    async mint(request: MintRequest): Promise<string> {
      if (issuerUrl === undefined) {
        throw new Error("dev issuer has no URL yet: pass issuerUrl or start its server first");
      }
      const { sub, aud, ttlSeconds, extra } = MintRequest.parse(request);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(extra)
        .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
        .setIssuer(issuerUrl)
        .setSubject(sub)
        .setAudience(aud)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(signingKey);
    },
    jwks: () => ({ keys: [{ ...publicJwk }] }),
  };
}

export interface MintDevTokenOptions {
  keyFile: string;
  issuerUrl: string;
  sub: string;
  ttlSeconds?: number;
  aud?: string | [string, ...string[]];
  extra?: Record<string, unknown>;
}

/** Mints a token from the key file of a running (or earlier) dev issuer, e.g. for a CLI. */
export async function mintDevToken(options: MintDevTokenOptions): Promise<string> {
  // Read, never created: a missing key must not silently become a new key that nobody trusts.
  const issuer = await issuerFromJwk(await readSigningJwk(options.keyFile), options.issuerUrl);
  const { sub, ttlSeconds, aud, extra } = options;
  return issuer.mint({ sub, ttlSeconds, aud, extra });
}
