import { join } from "node:path";
import { LeashError } from "@leash/core";
import { exportSPKI, type JWTPayload, SignJWT } from "jose";
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
  unsecured,
  writeJwksFile,
} from "./testing/keys.js";
import {
  type ClosableIdentityVerifier,
  createIdentityVerifier,
  type IdentityVerifierOptions,
} from "./verifier.js";

const A = "https://issuer.example";
const B = "https://other.example";
const T0 = Date.UTC(2030, 0, 1);
const { dir, remove } = tempDir();
const fileA = join(dir, "a.json");
const fileB = join(dir, "b.json");
let a1: TestKey;
let a2: TestKey;
let b1: TestKey;
let attacker: TestKey;

const trust = () =>
  parseTrustConfig(
    {
      audience: "leash",
      issuers: [
        { issuer: A, jwks_file: "a.json" },
        { issuer: B, jwks_file: "b.json", algorithms: ["ES256"], subject_prefixes: ["spiffe://other.org/"] },
      ],
      roles: {
        orchestrator: ["spiffe://example.org/orchestrator"],
        security: ["spiffe://example.org/security/"],
        agent: ["spiffe://example.org/agent/"],
      },
    },
    dir,
  );

const verifiers: ClosableIdentityVerifier[] = [];
function verifierAt(clock: ManualClock, options: IdentityVerifierOptions = {}) {
  const verifier = createIdentityVerifier(trust(), { clock, ...options });
  verifiers.push(verifier);
  return verifier;
}

const claims = (clock: ManualClock, extra: JWTPayload = {}): JWTPayload => ({
  iss: A,
  sub: "spiffe://example.org/agent/a1",
  aud: "leash",
  iat: seconds(clock.now()),
  exp: seconds(clock.now()) + 600,
  ...extra,
});

/** The LeashError a verification fails with; its message must never contain the token. */
async function failure(verifier: ClosableIdentityVerifier, token: string): Promise<LeashError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LeashError)) throw new Error(`expected a LeashError, got ${String(error)}`);
  expect(error.message).not.toContain(token);
  return error;
}

beforeAll(async () => {
  [a1, a2, b1, attacker] = await Promise.all([
    testKey("a1"),
    testKey("a2", "RS256"),
    testKey("b1"),
    testKey("x"),
  ]);
  writeJwksFile(fileA, jwksOf(a1, a2), 1_000);
  writeJwksFile(fileB, jwksOf(b1), 1_000);
});

afterAll(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
  remove();
});

describe("identity verification with keys from a jwks_file", () => {
  it("returns subject, issuer, roles and expiry of a valid token", async () => {
    const clock = new ManualClock(T0);
    const identity = await verifierAt(clock).verify(await sign(a1, claims(clock)));
    expect(identity).toEqual({
      subject: "spiffe://example.org/agent/a1",
      issuer: A,
      roles: new Set(["agent"]),
      expiresAt: (seconds(T0) + 600) * 1000,
      issuedAt: seconds(T0) * 1000,
    });
  });

  it("accepts any allowed algorithm the issuer has a key for (RS256 here)", async () => {
    const clock = new ManualClock(T0);
    await expect(verifierAt(clock).verify(await sign(a2, claims(clock)))).resolves.toMatchObject({
      issuer: A,
    });
  });

  it("refuses an issuer that is not configured", async () => {
    const clock = new ManualClock(T0);
    const error = await failure(
      verifierAt(clock),
      await sign(a1, claims(clock, { iss: "https://evil.example" })),
    );
    expect(error).toMatchObject({
      code: "unauthenticated",
      message: "issuer https://evil.example is not trusted",
    });
  });

  it("uses only the keys of the token's issuer: another trusted issuer's key cannot sign for it", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    const error = await failure(verifier, await sign(b1, claims(clock)));
    expect(error.message).toBe(`no key with kid b1 at issuer ${A}`);
    const spoofedKid = await sign(b1, claims(clock), { header: { kid: "a1" } });
    expect((await failure(verifier, spoofedKid)).message).toBe("signature verification failed");
  });

  it("refuses a token whose audience does not include the configured one", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    const wrong = await sign(a1, claims(clock, { aud: ["other", "tools"] }));
    expect((await failure(verifier, wrong)).message).toBe("audience must include leash");
    const missing = await sign(a1, claims(clock, { aud: undefined }));
    expect((await failure(verifier, missing)).message).toBe("token has no aud claim");
    await expect(
      verifier.verify(await sign(a1, claims(clock, { aud: ["tools", "leash"] }))),
    ).resolves.toBeDefined();
  });

  it("refuses alg:none", async () => {
    const clock = new ManualClock(T0);
    const error = await failure(verifierAt(clock), unsecured(claims(clock), { kid: "a1" }));
    expect(error.message).toBe("algorithm none is not allowed");
  });

  it("refuses HS256 signed with the issuer's public key as the HMAC secret", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    for (const secret of [await exportSPKI(a1.publicKey), JSON.stringify(a1.publicJwk)]) {
      const forged = await new SignJWT(claims(clock))
        .setProtectedHeader({ alg: "HS256", kid: "a1" })
        .sign(new TextEncoder().encode(secret));
      expect((await failure(verifier, forged)).message).toBe("algorithm HS256 is not allowed");
    }
  });

  it("refuses an allowed algorithm that the issuer's own allow-list excludes", async () => {
    const clock = new ManualClock(T0);
    const token = await sign(a2, claims(clock, { iss: B, sub: "spiffe://other.org/x" }), {
      header: { kid: "b1" },
    });
    expect((await failure(verifierAt(clock), token)).message).toBe(
      `algorithm RS256 is not allowed for issuer ${B}`,
    );
  });

  it("refuses an expired token beyond the 30 s skew and accepts one within it", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    const expiredLongAgo = await sign(a1, claims(clock, { exp: seconds(T0) - 31 }));
    expect((await failure(verifier, expiredLongAgo)).message).toBe("token expired");
    await expect(
      verifier.verify(await sign(a1, claims(clock, { exp: seconds(T0) - 20 }))),
    ).resolves.toBeDefined();
  });

  it("refuses a not-yet-valid token beyond the 30 s skew and accepts one within it", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    const early = await sign(a1, claims(clock, { nbf: seconds(T0) + 60 }));
    expect((await failure(verifier, early)).message).toBe("token not yet valid");
    await expect(
      verifier.verify(await sign(a1, claims(clock, { nbf: seconds(T0) + 20 }))),
    ).resolves.toBeDefined();
    const future = await sign(a1, claims(clock, { iat: seconds(T0) + 60 }));
    expect((await failure(verifier, future)).message).toBe("token issued in the future (iat)");
    await expect(
      verifier.verify(await sign(a1, claims(clock, { iat: seconds(T0) + 20 }))),
    ).resolves.toBeDefined();
  });

  it("honours a smaller configured skew and refuses one above 30 s", async () => {
    const clock = new ManualClock(T0);
    const strict = verifierAt(clock, { clockToleranceSeconds: 0 });
    expect((await failure(strict, await sign(a1, claims(clock, { nbf: seconds(T0) + 1 })))).message).toBe(
      "token not yet valid",
    );
    expect(() => createIdentityVerifier(trust(), { clockToleranceSeconds: 31 })).toThrow(RangeError);
  });

  it("requires exp and sub", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    expect((await failure(verifier, await sign(a1, claims(clock, { exp: undefined })))).message).toBe(
      "token has no exp claim",
    );
    expect((await failure(verifier, await sign(a1, claims(clock, { sub: undefined })))).message).toBe(
      "token has no sub claim",
    );
  });

  it("refuses a token over 8192 bytes before parsing it, even when its signature is valid", async () => {
    const clock = new ManualClock(T0);
    const big = await sign(a1, claims(clock, { pad: "x".repeat(8192) }));
    expect((await failure(verifierAt(clock), big)).message).toBe("token exceeds 8192 bytes");
  });

  it.each([
    ["not a JWT", "hello"],
    ["two parts", "eyJhbGciOiJFUzI1NiJ9.e30"],
    ["a JWE (five parts)", "a.b.c.d.e"],
    ["a header that is not JSON", `${Buffer.from("{oops").toString("base64url")}.e30.c2ln`],
  ])("refuses a malformed token (%s)", async (_, token) => {
    expect((await failure(verifierAt(new ManualClock(T0)), token)).message).toBe("malformed token");
  });

  it("ignores jwk, jku, x5u and x5c headers: keys come only from configuration", async () => {
    const clock = new ManualClock(T0);
    const verifier = verifierAt(clock);
    const embedded = {
      jwk: attacker.publicJwk,
      jku: "https://evil.example/jwks.json",
      x5u: "https://evil.example/c",
    };
    const withKid = await sign(attacker, claims(clock), { header: { ...embedded, kid: "a1" } });
    expect((await failure(verifier, withKid)).message).toBe("signature verification failed");
    const ownKid = await sign(attacker, claims(clock), { header: embedded });
    expect((await failure(verifier, ownKid)).message).toBe(`no key with kid x at issuer ${A}`);
  });

  it("tries each matching key for a token without kid", async () => {
    const clock = new ManualClock(T0);
    const second = await testKey("a3");
    writeJwksFile(fileA, jwksOf(a1, second, a2), 1_001);
    try {
      const verifier = verifierAt(clock);
      const token = await sign(second, claims(clock), { header: { kid: undefined } });
      await expect(verifier.verify(token)).resolves.toMatchObject({ issuer: A });
      const foreign = await sign(attacker, claims(clock), { header: { kid: undefined } });
      expect((await failure(verifier, foreign)).message).toBe("signature verification failed");
    } finally {
      writeJwksFile(fileA, jwksOf(a1, a2), 1_000);
    }
  });
});
