import { freePort } from "@leash/devstack";
import type { JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseTrustConfig } from "./config.js";
import { type JwksServer, startJwksServer } from "./testing/jwks-server.js";
import { seconds, sign, type TestKey, testKey } from "./testing/keys.js";
import { createIdentityVerifier, type IdentityVerifierOptions } from "./verifier.js";

const A = "https://issuer.example";
const COOLDOWN_MS = 30_000;
let k1: TestKey;
let k2: TestKey;
let attacker: TestKey;
const servers: JwksServer[] = [];

beforeAll(async () => {
  [k1, k2, attacker] = await Promise.all([testKey("k1"), testKey("k2"), testKey("x")]);
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function issuerServing(...keys: TestKey[]): Promise<JwksServer> {
  const server = await startJwksServer(keys.map((k) => k.publicJwk));
  servers.push(server);
  return server;
}

/** The verification cache is off so that every call reaches the key set. */
function verifierFor(jwksUri: string, options: IdentityVerifierOptions = {}) {
  const trust = parseTrustConfig({ audience: "leash", issuers: [{ issuer: A, jwks_uri: jwksUri }] }, "/");
  return createIdentityVerifier(trust, { cacheSize: 0, jwksCooldownMs: COOLDOWN_MS, ...options });
}

const claims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: A,
  sub: "spiffe://example.org/agent/a1",
  aud: "leash",
  exp: seconds(Date.now()) + 3_600,
  ...extra,
});

/** Only Date is faked: jose's cooldown reads Date.now(), while sockets and timeouts keep real timers. */
function freezeDate(): { advance(ms: number): void } {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date());
  return { advance: (ms) => vi.setSystemTime(Date.now() + ms) };
}

describe("identity verification with keys fetched from a jwks_uri", () => {
  it("fetches the key set once for many tokens, also when the first ones arrive together", async () => {
    const server = await issuerServing(k1);
    const verifier = verifierFor(server.jwksUri);
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sign(k1, claims({ sub: `spiffe://example.org/agent/${i}` }))),
    );
    await Promise.all(tokens.map((t) => verifier.verify(t)));
    for (const t of tokens) await verifier.verify(t);
    expect(server.requests).toBe(1);
    await verifier.close();
  });

  it("an unknown kid causes at most one refetch per cooldown period", async () => {
    const clock = freezeDate();
    const server = await issuerServing(k1);
    const verifier = verifierFor(server.jwksUri);
    await verifier.verify(await sign(k1, claims()));
    expect(server.requests).toBe(1);

    const unknown = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sign(attacker, claims(), { header: { kid: `u${i}` } })),
    );
    /** Each unknown-kid token, first all at once and then one by one; every one must be refused. */
    const refuseAll = async () => {
      const outcomes: unknown[] = (await Promise.allSettled(unknown.map((t) => verifier.verify(t)))).map(
        (r) => (r.status === "rejected" ? r.reason : r.value),
      );
      for (const t of unknown) outcomes.push(await verifier.verify(t).catch((e: unknown) => e));
      for (const outcome of outcomes) {
        expect(outcome instanceof Error ? outcome.message : "accepted").toMatch(
          /^no key with kid u\d at issuer /,
        );
      }
    };

    await refuseAll();
    expect(server.requests).toBe(1);
    clock.advance(COOLDOWN_MS - 1_000);
    await refuseAll();
    expect(server.requests).toBe(1);
    clock.advance(1_001);
    await refuseAll();
    expect(server.requests).toBe(2);
    await verifier.close();
  });

  it("picks up key rotation at the issuer: new keys after the cooldown, removed keys after the cache age", async () => {
    const clock = freezeDate();
    const server = await issuerServing(k1);
    const verifier = verifierFor(server.jwksUri, { jwksCacheMaxAgeMs: 300_000 });
    const old = await sign(k1, claims());
    await verifier.verify(old);

    server.setKeys([k1.publicJwk, k2.publicJwk]);
    const rotated = await sign(k2, claims());
    clock.advance(COOLDOWN_MS);
    await expect(verifier.verify(rotated)).resolves.toMatchObject({ issuer: A });
    expect(server.requests).toBe(2);

    server.setKeys([k2.publicJwk]);
    await expect(verifier.verify(old)).resolves.toBeDefined();
    clock.advance(300_000);
    await expect(verifier.verify(old)).rejects.toMatchObject({
      message: `no key with kid k1 at issuer ${A}`,
    });
    await expect(verifier.verify(rotated)).resolves.toBeDefined();
    expect(server.requests).toBe(3);
    await verifier.close();
  });

  it("reports an unreachable issuer as retryable and does not hammer it while it is down", async () => {
    const clock = freezeDate();
    const server = await issuerServing(k1);
    server.setMode("down");
    const verifier = verifierFor(server.jwksUri, { jwksFailureBackoffMs: 2_000 });
    const token = await sign(k1, claims());
    for (let i = 0; i < 5; i += 1) {
      await expect(verifier.verify(token)).rejects.toMatchObject({
        code: "unauthenticated",
        retry: true,
        message: `could not fetch keys of issuer ${A}`,
      });
    }
    expect(server.requests).toBe(1);
    server.setMode("up");
    clock.advance(2_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ issuer: A });
    expect(server.requests).toBe(2);
    await verifier.close();
  });

  it("gives up on a JWKS endpoint that does not answer within the timeout", async () => {
    const server = await issuerServing(k1);
    server.setMode("hang");
    const verifier = verifierFor(server.jwksUri, { jwksTimeoutMs: 200 });
    await expect(verifier.verify(await sign(k1, claims()))).rejects.toMatchObject({ retry: true });
    await verifier.close();
  });

  it("reports a closed port and an oversized key set as unreachable keys", async () => {
    const closed = verifierFor(`http://127.0.0.1:${await freePort()}/jwks.json`);
    await expect(closed.verify(await sign(k1, claims()))).rejects.toMatchObject({ retry: true });
    await closed.close();

    const server = await issuerServing(k1);
    server.setKeys(
      Array.from({ length: 2_000 }, (_, i) => ({ ...k1.publicJwk, kid: `k${i}`.padEnd(100, "x") })),
    );
    const verifier = verifierFor(server.jwksUri);
    await expect(verifier.verify(await sign(k1, claims()))).rejects.toMatchObject({
      message: `could not fetch keys of issuer ${A}`,
    });
    await verifier.close();
  });

  it("never fetches keys named by the token (jku, x5u)", async () => {
    const server = await issuerServing(k1);
    const rogue = await issuerServing(attacker);
    const verifier = verifierFor(server.jwksUri);
    const forged = await sign(attacker, claims(), {
      header: { kid: "x", jku: rogue.jwksUri, x5u: `${rogue.url}/cert.pem`, jwk: attacker.publicJwk },
    });
    await expect(verifier.verify(forged)).rejects.toMatchObject({
      message: `no key with kid x at issuer ${A}`,
    });
    expect(rogue.requests).toBe(0);
    await verifier.close();
  });
});
