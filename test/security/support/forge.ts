import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";

/**
 * An identity issuer whose every header and claim the test controls, serving its JWKS from a local HTTP server
 * that counts the fetches (to show that Leash never asks more often than its refetch bound allows).
 */
export interface ForgeIssuer {
  /** The `iss` of its tokens, and the base URL of its JWKS server. */
  readonly issuerUrl: string;
  readonly jwksUri: string;
  readonly kid: string;
  readonly publicJwk: JWK;
  /** The public key as PEM, the secret an `alg` confusion attack would HMAC with. */
  readonly publicPem: string;
  /** How many times anyone fetched the JWKS. */
  fetches(): number;
  /** A token valid for Leash unless `claims` or `header` say otherwise (`undefined` removes a claim). */
  sign(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

export interface ForgeIssuerOptions {
  audience?: string;
  sub?: string;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startForgeIssuer(options: ForgeIssuerOptions = {}): Promise<ForgeIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url === "/jwks.json") {
      fetches += 1;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listen(server);
  const issuerUrl = `http://127.0.0.1:${port}`;
  return {
    issuerUrl,
    jwksUri: `${issuerUrl}/jwks.json`,
    kid,
    publicJwk,
    publicPem: await exportSPKI(publicKey),
    fetches: () => fetches,
    sign: (claims = {}, header = {}) =>
      signWith(
        privateKey,
        { alg: "ES256", kid, typ: "JWT", ...header },
        {
          iss: issuerUrl,
          sub: options.sub ?? "spiffe://partner.example/agent/forged",
          aud: options.audience ?? "leash",
          ...claims,
        },
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs `claims` as given, filling `iat`/`exp`/`jti` only when the caller did not mention them at all. */
export async function signWith(
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const full: Record<string, unknown> = { iat: now, exp: now + 300, jti: randomUUID(), ...claims };
  for (const [name, value] of Object.entries(full)) if (value === undefined) delete full[name];
  return new SignJWT(full).setProtectedHeader(header as { alg: string }).sign(key);
}

/** An unsigned token (`alg: none`), which jose refuses to produce. */
export function unsecuredToken(claims: Record<string, unknown>, alg = "none"): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg, typ: "JWT" })}.${part(claims)}.`;
}
