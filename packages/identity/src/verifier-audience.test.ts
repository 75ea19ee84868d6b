import { join } from "node:path";
import { LeashError } from "@leash/core";
import type { JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrustConfig } from "./config.js";
import {
  jwksOf,
  ManualClock,
  seconds,
  sign,
  type TestKey,
  tempDir,
  testKey,
  writeJwksFile,
} from "./testing/keys.js";
import { type ClosableIdentityVerifier, createIdentityVerifier } from "./verifier.js";

/**
 * Verification for another audience (RFC 7523 client assertions at the token endpoint): the token must name one of
 * the audiences asked for, never the API's own, and a result for one audience is never reused for another.
 */
const A = "https://issuer.example";
const TOKEN_ENDPOINT = "https://leash.example/oauth/token";
const T0 = Date.UTC(2030, 0, 1);
const { dir, remove } = tempDir();
let key: TestKey;
let verifier: ClosableIdentityVerifier;
const clock = new ManualClock(T0);

const claims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: A,
  sub: "spiffe://example.org/agent/a1",
  aud: TOKEN_ENDPOINT,
  iat: seconds(T0),
  exp: seconds(T0) + 300,
  ...extra,
});

async function failure(token: string, audience?: readonly string[]): Promise<LeashError> {
  const error = await verifier.verify(token, audience ? { audience } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LeashError)) throw new Error(`expected a LeashError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  key = await testKey("a1");
  writeJwksFile(join(dir, "a.json"), jwksOf(key), 1_000);
  const trust = parseTrustConfig(
    {
      audience: "leash",
      issuers: [{ issuer: A, jwks_file: "a.json" }],
      roles: { orchestrator: [], security: [], agent: ["spiffe://example.org/agent/"] },
    },
    dir,
  );
  verifier = createIdentityVerifier(trust, { clock });
});
afterAll(async () => {
  await verifier.close();
  remove();
});

describe("verification for another audience", () => {
  it("accepts a token naming one of the audiences asked for, with its iat", async () => {
    const token = await sign(key, claims({ aud: ["https://leash.example", "x"] }));
    const identity = await verifier.verify(token, { audience: [TOKEN_ENDPOINT, "https://leash.example"] });
    expect(identity).toMatchObject({
      subject: "spiffe://example.org/agent/a1",
      issuedAt: seconds(T0) * 1000,
    });
  });

  it("refuses a token for another audience", async () => {
    const error = await failure(await sign(key, claims({ aud: "https://elsewhere.example" })), [
      TOKEN_ENDPOINT,
    ]);
    expect(error.message).toBe(`audience must include ${TOKEN_ENDPOINT}`);
  });

  it("refuses a token that also names the API's audience, alone or with the one asked for", async () => {
    for (const aud of ["leash", ["leash", TOKEN_ENDPOINT]]) {
      const error = await failure(await sign(key, claims({ aud })), ["leash", TOKEN_ENDPOINT]);
      expect(error.message).toBe("audience must not include leash here");
    }
  });

  it("never answers from the cache of another audience", async () => {
    const bearer = await sign(key, claims({ aud: "leash", jti: "bearer" }));
    await expect(verifier.verify(bearer)).resolves.toMatchObject({
      subject: "spiffe://example.org/agent/a1",
    });
    expect((await failure(bearer, [TOKEN_ENDPOINT])).code).toBe("unauthenticated");
    const assertion = await sign(key, claims({ jti: "assertion" }));
    await expect(verifier.verify(assertion, { audience: [TOKEN_ENDPOINT] })).resolves.toBeTruthy();
    expect((await failure(assertion)).message).toBe("audience must include leash");
  });
});
