import { writeFileSync } from "node:fs";
import { join } from "node:path";
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
import { createIdentityVerifier } from "./verifier.js";

const A = "https://issuer.example";
const B = "https://other.example";
const T0 = Date.UTC(2030, 0, 1);
const { dir, remove } = tempDir();
let a: TestKey;
let b: TestKey;

beforeAll(async () => {
  [a, b] = await Promise.all([testKey("a"), testKey("b")]);
  writeJwksFile(join(dir, "a.json"), jwksOf(a), 1_000);
  writeJwksFile(join(dir, "b.json"), jwksOf(b), 1_000);
});
afterAll(remove);

const clock = new ManualClock(T0);
const claims = (iss: string, sub: string) => ({ iss, sub, aud: "leash", exp: seconds(T0) + 600 });

function verifierFor(issuers: Record<string, unknown>[]) {
  const trust = parseTrustConfig(
    {
      audience: "leash",
      issuers,
      roles: { orchestrator: ["spiffe://example.org/orchestrator"], agent: ["spiffe://example.org/agent/"] },
    },
    dir,
  );
  return createIdentityVerifier(trust, { clock });
}

describe("what an issuer may assert", () => {
  const verifier = verifierFor([
    { issuer: A, jwks_file: "a.json" },
    { issuer: B, jwks_file: "b.json", subject_prefixes: ["spiffe://other.org/", "ci-runner"] },
  ]);
  afterAll(() => verifier.close());

  it("refuses a subject outside the issuer's subject_prefixes (no cross-issuer impersonation)", async () => {
    const token = await sign(b, claims(B, "spiffe://example.org/orchestrator"));
    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: "unauthenticated",
      message: `issuer ${B} may not assert subject spiffe://example.org/orchestrator`,
    });
  });

  it("accepts subjects inside them, by prefix or exactly", async () => {
    await expect(verifier.verify(await sign(b, claims(B, "spiffe://other.org/x")))).resolves.toMatchObject({
      issuer: B,
      roles: new Set(),
    });
    await expect(verifier.verify(await sign(b, claims(B, "ci-runner")))).resolves.toMatchObject({
      issuer: B,
    });
    await expect(verifier.verify(await sign(b, claims(B, "ci-runner-2")))).rejects.toThrow("may not assert");
  });

  it("lets an issuer without subject_prefixes assert any subject", async () => {
    const identity = await verifier.verify(await sign(a, claims(A, "spiffe://example.org/orchestrator")));
    expect(identity.roles).toEqual(new Set(["orchestrator"]));
  });

  it("refuses a spiffe:// subject that is not a valid SPIFFE ID, so it cannot climb out of a role prefix", async () => {
    const token = await sign(a, claims(A, "spiffe://example.org/agent/../orchestrator"));
    await expect(verifier.verify(token)).rejects.toThrow("is not a valid SPIFFE ID");
  });
});

describe("unreadable trust bundles", () => {
  it("fails closed with a retryable error naming the issuer when its jwks_file cannot be read", async () => {
    const verifier = verifierFor([{ issuer: A, jwks_file: "missing.json" }]);
    await expect(verifier.verify(await sign(a, claims(A, "x")))).rejects.toMatchObject({
      code: "unauthenticated",
      retry: true,
      message: `could not read keys of issuer ${A} from its jwks_file`,
    });
    await verifier.close();
  });

  it("keeps the last good keys when the file turns invalid mid-rotation", async () => {
    const file = join(dir, "flaky.json");
    writeJwksFile(file, jwksOf(a), 1_000);
    const local = new ManualClock(T0);
    const trust = parseTrustConfig({ audience: "leash", issuers: [{ issuer: A, jwks_file: file }] }, dir);
    const verifier = createIdentityVerifier(trust, {
      clock: local,
      jwksFileCheckIntervalMs: 1_000,
      cacheSize: 0,
    });
    const token = await sign(a, claims(A, "x"));
    await verifier.verify(token);
    writeFileSync(file, '{"keys": [');
    local.advance(1_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ issuer: A });
    await verifier.close();
  });
});
