import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDevIssuer, type DevIssuer, readSigningJwk } from "@leash/devstack";
import { parseTrustConfig } from "@leash/identity";
import { rotateSigningKeys } from "@leash/providers";
import { type LeashConfigFile, RuntimeEnv } from "@leash/runtime";
import { importJWK, type JWTPayload, SignJWT } from "jose";
import { createApp } from "../app.js";
import type { ApiContext } from "../context.js";
import { wireApi } from "../wiring.js";

export const ISSUER = "https://issuer.test";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  issuer: DevIssuer;
  ctx: ApiContext;
  /** Signs arbitrary claims with the trusted issuer's key (for expired, not-yet-valid and other crafted tokens). */
  signRaw(claims: JWTPayload): Promise<string>;
  request(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real app and wiring in-process (no listening socket), on a fresh key prefix of the test run's Redis; `config`
 * adds trust-file sections (e.g. `gateway`, `quotas`) to the minimal one.
 */
export async function createTestApp(
  redisUrl: string,
  env: Record<string, string> = {},
  config: Pick<LeashConfigFile, "gateway" | "quotas"> = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "leash-api-"));
  const keyFile = join(dir, "issuer-key.json");
  const issuer = await createDevIssuer({ issuerUrl: ISSUER, keyFile });
  const jwk = await readSigningJwk(keyFile);
  const key = await importJWK(jwk, "ES256");
  writeFileSync(join(dir, "jwks.json"), JSON.stringify(issuer.jwks()));
  const trust = parseTrustConfig(
    {
      audience: "leash",
      issuers: [{ issuer: ISSUER, jwks_file: "jwks.json" }],
      roles: {
        orchestrator: ["spiffe://t/orchestrator"],
        // A "dual" identity holds both roles, to prove nobody approves their own request.
        security: ["spiffe://t/security/", "spiffe://t/dual/"],
        agent: ["spiffe://t/agent/", "spiffe://t/dual/"],
      },
    },
    dir,
  );
  const signingKeys = join(dir, "signing.json");
  await rotateSigningKeys(signingKeys);
  const runtime = RuntimeEnv.parse({
    REDIS_URL: redisUrl,
    LEASH_CONFIG: join(dir, "unused.json"),
    LEASH_SIGNING_KEY_FILE: signingKeys,
    LEASH_REDIS_PREFIX: `api:{${randomUUID()}}:`,
    LEASH_BODY_LIMIT_BYTES: "4096",
    LOG_LEVEL: "silent",
    ...env,
  });
  const { ctx, close } = await wireApi(runtime, {
    path: "",
    trust,
    providers: { "leash-jwt": {} },
    policyDir: undefined,
    ...config,
  });
  const app = createApp(ctx);
  return {
    app,
    issuer,
    ctx,
    signRaw: (claims) => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: jwk.kid }).sign(key),
    async request(method, path, token, body, headers = {}) {
      const h: Record<string, string> = { ...headers };
      if (token) h.authorization = `Bearer ${token}`;
      let payload: string | undefined;
      if (body !== undefined) {
        h["content-type"] ??= "application/json";
        payload = typeof body === "string" ? body : JSON.stringify(body);
      }
      return app.request(path, { method, headers: h, body: payload });
    },
    close,
  };
}
