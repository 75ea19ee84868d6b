import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Lease,
  LeashError,
  type MintRequest,
  type OAuthRevocation,
  type OAuthRevocationFeed,
  SESSION_INTENT,
} from "@leash/core";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { introspectTaskToken } from "../leash-jwt/introspect.js";
import { rotateSigningKeys, SigningKeyFile } from "../leash-jwt/keys.js";
import { createLeashJwtProvider } from "../leash-jwt/provider.js";
import { introspectAccessToken } from "./introspect.js";
import { createOAuthProvider } from "./provider.js";

const ISSUER = "https://leash.example";
const RESOURCE = "https://tools.example/mcp";
const NOW = Date.now();

class MemoryFeed implements OAuthRevocationFeed {
  readonly entries: OAuthRevocation[] = [];
  async record(entries: readonly OAuthRevocation[]) {
    this.entries.push(...entries);
  }
  async read() {
    return { items: this.entries, cursor: "0-0", more: false };
  }
}

let keys: SigningKeyFile;
beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), "leash-oauth-")), "keys.json");
  await rotateSigningKeys(path);
  keys = new SigningKeyFile(path, 0);
});

const provider = (feed = new MemoryFeed()) =>
  createOAuthProvider({ issuer: ISSUER, keys, revocations: feed, maxTtlSeconds: 900 });

const request = (overrides: Partial<MintRequest> = {}): MintRequest => ({
  leaseId: "ls_1",
  taskId: "tk_1",
  agent: "spiffe://t/agent/a",
  target: RESOURCE,
  intent: { action: "read", resource: "docs/a", sensitivity: "internal" },
  ttlSeconds: 300,
  issuedAt: NOW,
  expiresAt: NOW + 300_000,
  actorChain: [],
  scopeHints: [],
  ...overrides,
});

async function claimsOf(token: unknown) {
  const { jwks } = await keys.current();
  const { payload } = await jwtVerify(String(token), createLocalJWKSet(jwks), {
    issuer: ISSUER,
    audience: RESOURCE,
  });
  return payload;
}

describe("oauth access tokens (RFC 9068)", () => {
  it("carry typ at+jwt and the claims resource servers need: aud = resource, client_id, intent details", async () => {
    const minted = await provider().mint(request(), AbortSignal.timeout(5_000));
    expect(minted.credential.token_type).toBe("Bearer");
    expect(decodeProtectedHeader(String(minted.credential.token))).toMatchObject({
      alg: "ES256",
      typ: "at+jwt",
    });
    expect(await claimsOf(minted.credential.token)).toEqual({
      iss: ISSUER,
      sub: "spiffe://t/agent/a",
      aud: RESOURCE,
      jti: "ls_1",
      client_id: "spiffe://t/agent/a",
      task_id: "tk_1",
      scope: "read:docs/a",
      authorization_details: [
        {
          type: "leash_intent",
          task_id: "tk_1",
          action: "read",
          resource: "docs/a",
          sensitivity: "internal",
        },
      ],
      iat: Math.floor(NOW / 1000),
      nbf: Math.floor(NOW / 1000),
      exp: Math.floor((NOW + 300_000) / 1000),
    });
    expect(minted.scope).toEqual(["read:docs/a"]);
  });

  it("carry cnf.jkt and token type DPoP when bound, and the delegation chain as act", async () => {
    const minted = await provider().mint(
      request({
        confirmation: { jkt: "thumbprint" },
        actorChain: ["spiffe://t/agent/parent", "spiffe://t/agent/root"],
      }),
      AbortSignal.timeout(5_000),
    );
    expect(minted.credential.token_type).toBe("DPoP");
    expect(await claimsOf(minted.credential.token)).toMatchObject({
      cnf: { jkt: "thumbprint" },
      act: { sub: "spiffe://t/agent/parent", act: { sub: "spiffe://t/agent/root" } },
    });
  });

  it("for /mcp, carry the task without intent fields or scope", async () => {
    const minted = await provider().mint(
      request({ target: `${ISSUER}/mcp`, intent: { ...SESSION_INTENT } }),
      AbortSignal.timeout(5_000),
    );
    const { jwks } = await keys.current();
    const { payload } = await jwtVerify(String(minted.credential.token), createLocalJWKSet(jwks));
    expect(payload.authorization_details).toEqual([{ type: "leash_intent", task_id: "tk_1" }]);
    expect(payload.scope).toBeUndefined();
    expect(payload.aud).toBe(`${ISSUER}/mcp`);
  });

  it("validate the resource and keep the intent-less session to Leash's /mcp", () => {
    const p = provider();
    expect(() => p.validate(undefined, request().intent)).toThrow(LeashError);
    expect(() => p.validate("http://tools.example/", request().intent)).toThrow(/https/);
    expect(() => p.validate(RESOURCE, { ...SESSION_INTENT })).toThrow(/only a token for Leash's \/mcp/);
    expect(() => p.validate(`${ISSUER}/mcp`, { ...SESSION_INTENT })).not.toThrow();
  });

  it("record their end in the feed resource servers follow (jti, aud, exp)", async () => {
    const feed = new MemoryFeed();
    const revoke = {
      leaseId: "ls_1",
      taskId: "tk_1",
      agent: "a",
      target: RESOURCE,
      handle: {},
      issuedAt: NOW,
      providerExpiresAt: NOW + 300_000,
    };
    await provider(feed).revoke(revoke, AbortSignal.timeout(5_000));
    await provider(feed).reclaim(
      { ...revoke, leaseId: "ls_2", providerExpiresAt: null },
      AbortSignal.timeout(5_000),
    );
    expect(feed.entries).toEqual([
      { jti: "ls_1", aud: RESOURCE, exp: Math.floor((NOW + 300_000) / 1000) },
      { jti: "ls_2", aud: RESOURCE, exp: Math.floor((NOW + 900_000) / 1000) },
    ]);
  });
});

describe("introspection: access tokens and task tokens are not interchangeable", () => {
  const lease = (overrides: Partial<Lease>): Lease => ({
    id: "ls_1",
    taskId: "tk_1",
    agent: "spiffe://t/agent/a",
    provider: "oauth",
    target: RESOURCE,
    intent: { action: "read", resource: "docs/a" },
    scope: [],
    state: "active",
    issuedAt: NOW,
    expiresAt: NOW + 300_000,
    revokedAt: null,
    revokeReason: null,
    handle: {},
    providerExpiresAt: NOW + 300_000,
    breakGlass: false,
    ...overrides,
  });
  const deps = (stored: Lease) => ({
    issuer: ISSUER,
    keys,
    clock: { now: () => Date.now() },
    leases: { get: async (id: string) => (id === stored.id ? stored : null) },
  });

  it("an active access token introspects with its claims and token type", async () => {
    const minted = await provider().mint(request({ confirmation: { jkt: "k" } }), AbortSignal.timeout(5_000));
    const answer = await introspectAccessToken(deps(lease({})), String(minted.credential.token));
    expect(answer).toMatchObject({
      active: true,
      client_id: "spiffe://t/agent/a",
      aud: RESOURCE,
      jti: "ls_1",
      token_type: "DPoP",
      cnf: { jkt: "k" },
      task_id: "tk_1",
      scope: "read:docs/a",
    });
  });

  it("an ended lease, or a lease of another provider, is inactive", async () => {
    const minted = await provider().mint(request(), AbortSignal.timeout(5_000));
    const token = String(minted.credential.token);
    expect(await introspectAccessToken(deps(lease({ state: "revoking" })), token)).toEqual({ active: false });
    expect(await introspectAccessToken(deps(lease({ provider: "leash-jwt" })), token)).toEqual({
      active: false,
    });
  });

  it("a v1 task token (same keys and typ) is never an active access token, and the reverse", async () => {
    const jwt = createLeashJwtProvider({ issuer: ISSUER, maxTtlSeconds: 900, keys });
    const task = await jwt.mint(
      request({ target: undefined, intent: { action: "read", resource: RESOURCE } }),
      AbortSignal.timeout(5_000),
    );
    const asOAuthLease = lease({ provider: "oauth" });
    expect(await introspectAccessToken(deps(asOAuthLease), String(task.credential.token))).toEqual({
      active: false,
    });
    const access = await provider().mint(request(), AbortSignal.timeout(5_000));
    for (const provider of ["oauth", "leash-jwt"] as const) {
      const stored = deps(lease({ provider }));
      expect(await introspectTaskToken(stored, String(access.credential.token))).toEqual({ active: false });
    }
  });
});
