import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { json, networkError, scriptedFetch } from "./fake-fetch.js";
import { createTokenVerifier, scopeAllows } from "./verifier.js";

const ISSUER = "http://leash.test";
const JWKS_URL = `${ISSUER}/.well-known/jwks.json`;
let privateKey: CryptoKey;
let otherKey: CryptoKey;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair("ES256")).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" }] };
});

function sign(claims: JWTPayload = {}, opts: { key?: CryptoKey; typ?: string; exp?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: "read:docs/a.md", task_id: "tk_1", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1", typ: opts.typ ?? "at+jwt" })
    .setIssuer(typeof claims.iss === "string" ? claims.iss : ISSUER)
    .setSubject("spiffe://d/agent/a")
    .setAudience(typeof claims.aud === "string" ? claims.aud : "docs-api")
    .setJti("ls_1")
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 300)
    .sign(opts.key ?? privateKey);
}

function verifier(introspection?: { active: boolean; jti?: string }) {
  const { fetch, calls } = scriptedFetch((call) =>
    call.url === JWKS_URL ? json(200, jwks) : json(200, introspection ?? { active: false }),
  );
  const v = createTokenVerifier({
    jwksUrl: JWKS_URL,
    issuer: ISSUER,
    audience: "docs-api",
    fetch,
    ...(introspection ? { introspect: { baseUrl: ISSUER, token: "tool-identity" } } : {}),
  });
  return { v, calls };
}

describe("createTokenVerifier", () => {
  it("accepts a Leash task token signed by a key of the JWKS and returns its claims", async () => {
    const result = await verifier().v.verify(await sign());
    expect(result).toMatchObject({
      active: true,
      claims: { jti: "ls_1", scope: "read:docs/a.md", task_id: "tk_1" },
    });
  });

  it("refuses another audience, an expired token, a foreign key, another issuer and another typ", async () => {
    const { v } = verifier();
    const past = Math.floor(Date.now() / 1000) - 3600;
    expect(await v.verify(await sign({ aud: "billing-api" }))).toMatchObject({
      active: false,
      reason: "wrong_audience",
    });
    expect(await v.verify(await sign({}, { exp: past }))).toMatchObject({ active: false, reason: "expired" });
    expect(await v.verify(await sign({}, { key: otherKey }))).toMatchObject({
      active: false,
      reason: "invalid",
    });
    expect(await v.verify(await sign({ iss: "http://evil.test" }))).toMatchObject({
      active: false,
      reason: "invalid",
    });
    expect(await v.verify(await sign({}, { typ: "JWT" }))).toMatchObject({
      active: false,
      reason: "invalid",
    });
    expect(await v.verify("not-a-jwt")).toMatchObject({ active: false, reason: "invalid" });
  });

  it("refuses an unsigned token (alg none)", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url");
    const body = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        aud: "docs-api",
        sub: "a",
        jti: "ls_1",
        exp: Math.floor(Date.now() / 1000) + 60,
      }),
    ).toString("base64url");
    expect(await verifier().v.verify(`${header}.${body}.`)).toMatchObject({
      active: false,
      reason: "invalid",
    });
  });

  it("reports a revoked lease inactive when introspection says so, and asks with the tool's identity", async () => {
    const revoked = verifier({ active: false });
    expect(await revoked.v.verify(await sign())).toMatchObject({ active: false, reason: "revoked" });
    const introspected = revoked.calls.find((c) => c.url.endsWith("/v1/introspect"));
    expect(introspected?.headers.authorization).toBe("Bearer tool-identity");

    const live = verifier({ active: true, jti: "ls_1" });
    expect(await live.v.verify(await sign())).toMatchObject({ active: true });
  });

  it("throws (fail closed) when the keys cannot be fetched, instead of answering", async () => {
    const { fetch } = scriptedFetch(() => {
      throw networkError("ECONNREFUSED");
    });
    const v = createTokenVerifier({ jwksUrl: JWKS_URL, issuer: ISSUER, fetch });
    await expect(v.verify(await sign())).rejects.toThrow();
  });
});

describe("the tool-side scope check holds the resource to the API's grammar (issue 10)", () => {
  const read = (resource: string) => ({ action: "read", resource });

  it("a token for docs/ does not let the tool serve docs/../secrets/key, whatever the spelling", () => {
    const claims = { scope: "read:docs/" };
    for (const [resource, rule] of [
      ["docs/../secrets/key", "dot_segment"],
      ["docs/%2e%2e/secrets/key", "percent_encoding"],
      ["docs/..\\secrets", "backslash"],
      ["docs//../secrets", "empty_segment"],
      ["docs/\uff0e\uff0e/secrets", "lookalike"],
      ["docs/\u200b../secrets", "invisible"],
    ] as const) {
      expect(scopeAllows(claims, read(resource)), resource).toMatchObject({
        allowed: false,
        reason: "invalid_resource",
        rule,
      });
    }
  });

  it("allows the granted resource, or what lies under a granted prefix, for the granted action only", () => {
    expect(scopeAllows({ scope: "read:docs/a.md" }, read("docs/a.md"))).toEqual({ allowed: true });
    expect(scopeAllows({ scope: "read:docs/" }, read("docs/sub/a.md"))).toEqual({ allowed: true });
    expect(scopeAllows({ scope: "read:docs/" }, read("docs/"))).toEqual({ allowed: true });
    expect(scopeAllows({ scope: "s3:Get:docs/a" }, { action: "s3:Get", resource: "docs/a" })).toEqual({
      allowed: true,
    });
    for (const [scope, request] of [
      ["read:docs/a.md", read("docs/a.md.bak")],
      ["read:docs/a.md", read("docs/a.md/")],
      ["read:docs/a", read("docs/a/b")],
      ["read:docs/", read("docs-secret/x")],
      ["read:docs/", { action: "write", resource: "docs/a" }],
      ["read:docs/", { action: "rea", resource: "d:docs/a" }],
      // A granted resource that is not canonical (minted before the grammar) allows nothing.
      ["read:docs/../", read("docs/x")],
    ] as const) {
      expect(scopeAllows({ scope }, request), `${scope} ${request.resource}`).toEqual({
        allowed: false,
        reason: "outside_scope",
      });
    }
  });

  it("verify(token, request) refuses a valid token for a request outside its scope", async () => {
    const { v } = verifier();
    const token = await sign({ scope: "read:docs/" });
    expect(await v.verify(token, read("docs/a.md"))).toMatchObject({ active: true });
    expect(await v.verify(token, read("secrets/key"))).toMatchObject({
      active: false,
      reason: "outside_scope",
      claims: { jti: "ls_1" },
    });
    expect(await v.verify(token, read("docs/../secrets/key"))).toMatchObject({
      active: false,
      reason: "invalid_resource",
    });
  });
});
