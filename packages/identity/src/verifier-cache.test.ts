import { join } from "node:path";
import { LeashError } from "@leash/core";
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
import { createIdentityVerifier, type IdentityVerifierOptions } from "./verifier.js";

const A = "https://issuer.example";
const T0 = Date.UTC(2030, 0, 1);
const { dir, remove } = tempDir();
let key: TestKey;
let rotated: TestKey;

beforeAll(async () => {
  [key, rotated] = await Promise.all([testKey("k1"), testKey("k2")]);
});
afterAll(remove);

/** A verifier over its own JWKS file, so a test can rotate keys without affecting the others. */
function setup(name: string, options: IdentityVerifierOptions = {}) {
  const file = join(dir, `${name}.json`);
  writeJwksFile(file, jwksOf(key), 1_000);
  const clock = new ManualClock(T0);
  const trust = parseTrustConfig(
    {
      audience: "leash",
      issuers: [{ issuer: A, jwks_file: file }],
      roles: { agent: ["spiffe://example.org/agent/"] },
    },
    dir,
  );
  const verifier = createIdentityVerifier(trust, { clock, jwksFileCheckIntervalMs: 1_000, ...options });
  const token = (ttlSeconds: number, signer = key) =>
    sign(signer, {
      iss: A,
      sub: "spiffe://example.org/agent/a1",
      aud: "leash",
      exp: seconds(T0) + ttlSeconds,
    });
  /** Replaces the issuer's keys; the verifier sees it at its next file check. */
  const rotateTo = (...keys: TestKey[]) => writeJwksFile(file, jwksOf(...keys), 2_000);
  return { clock, verifier, token, rotateTo };
}

describe("verification cache", () => {
  it("serves a verified token from the cache: it still verifies after its key is removed", async () => {
    const { clock, verifier, token, rotateTo } = setup("cached", { cacheMaxAgeMs: 60_000 });
    const jwt = await token(600);
    await verifier.verify(jwt);
    rotateTo(rotated);
    clock.advance(5_000);
    await expect(verifier.verify(jwt)).resolves.toMatchObject({ subject: "spiffe://example.org/agent/a1" });
    await verifier.close();
  });

  it("never returns an identity at or after the token's exp", async () => {
    // No skew, so a fresh verification at exp fails too and only the cache could answer.
    const { clock, verifier, token } = setup("expiry", { clockToleranceSeconds: 0 });
    const jwt = await token(60);
    await verifier.verify(jwt);
    clock.advance(59_999);
    await expect(verifier.verify(jwt)).resolves.toBeDefined();
    clock.advance(1);
    await expect(verifier.verify(jwt)).rejects.toMatchObject({
      code: "unauthenticated",
      message: "token expired",
    });
    await verifier.close();
  });

  it("re-verifies a cached token after cacheMaxAgeMs, so a removed key stops being trusted", async () => {
    const { clock, verifier, token, rotateTo } = setup("max-age", { cacheMaxAgeMs: 30_000 });
    const jwt = await token(600);
    await verifier.verify(jwt);
    rotateTo(rotated);
    clock.advance(30_000);
    await expect(verifier.verify(jwt)).rejects.toMatchObject({
      message: `no key with kid k1 at issuer ${A}`,
    });
    await verifier.close();
  });

  it("does not cache failures: a token refused for a missing key verifies once the key appears", async () => {
    const { clock, verifier, token, rotateTo } = setup("rotation");
    const jwt = await token(600, rotated);
    await expect(verifier.verify(jwt)).rejects.toMatchObject({
      message: `no key with kid k2 at issuer ${A}`,
    });
    rotateTo(key, rotated);
    await expect(verifier.verify(jwt)).rejects.toThrow(LeashError); // file not looked at again yet
    clock.advance(1_000);
    await expect(verifier.verify(jwt)).resolves.toMatchObject({ issuer: A });
    await verifier.close();
  });

  it("fails every call after close()", async () => {
    const { verifier, token } = setup("closed");
    const jwt = await token(600);
    await verifier.verify(jwt);
    await verifier.close();
    await verifier.close();
    await expect(verifier.verify(jwt)).rejects.toMatchObject({ code: "not_ready" });
  });
});
