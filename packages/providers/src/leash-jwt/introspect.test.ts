import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Lease } from "@leash/core";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { introspectTaskToken, TASK_TOKEN_TYP } from "./introspect.js";
import { rotateSigningKeys, SigningKeyFile } from "./keys.js";
import { createLeashJwtProvider } from "./provider.js";

const ISSUER = "https://leash.example";
const NOW = Date.now();

function leaseOf(overrides: Partial<Lease> = {}): Lease {
  return {
    id: "ls_1",
    taskId: "tk_1",
    agent: "spiffe://example.org/agent",
    provider: "leash-jwt",
    target: null,
    intent: { action: "call", resource: "tools/search", tool: "search" },
    scope: ["call:tools/search"],
    state: "active",
    issuedAt: NOW,
    expiresAt: NOW + 300_000,
    revokedAt: null,
    revokeReason: null,
    handle: {},
    providerExpiresAt: NOW + 300_000,
    breakGlass: false,
    ...overrides,
  };
}

async function setup(lease: Lease = leaseOf()) {
  const path = join(mkdtempSync(join(tmpdir(), "leash-introspect-")), "keys.json");
  await rotateSigningKeys(path);
  const keys = new SigningKeyFile(path, 0);
  const provider = createLeashJwtProvider({ issuer: ISSUER, maxTtlSeconds: 3600, keys });
  const { credential } = await provider.mint(
    {
      leaseId: lease.id,
      taskId: lease.taskId,
      agent: lease.agent,
      target: undefined,
      intent: lease.intent,
      ttlSeconds: 300,
      expiresAt: lease.expiresAt,
      actorChain: [],
      scopeHints: [],
    },
    AbortSignal.timeout(5_000),
  );
  const deps = {
    issuer: ISSUER,
    keys,
    leases: { get: async (id: string) => (id === lease.id ? lease : null) },
    clock: { now: () => NOW },
  };
  return { deps, keys, token: String(credential.token) };
}

/** A JWT with the task token's claims, signed by Leash's current key, with the given protected header `typ`. */
async function signedByLeash(keys: SigningKeyFile, typ: string | undefined) {
  const { kid, privateKey } = await keys.current();
  return new SignJWT({ scope: "call:tools/search", task_id: "tk_1" })
    .setProtectedHeader({ alg: "ES256", kid, ...(typ === undefined ? {} : { typ }) })
    .setIssuer(ISSUER)
    .setSubject("spiffe://example.org/agent")
    .setAudience("search")
    .setJti("ls_1")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(privateKey);
}

describe("task token introspection", () => {
  it("reports a token minted by the leash-jwt provider active while its lease is", async () => {
    const { deps, token } = await setup();
    expect(await introspectTaskToken(deps, token)).toEqual({
      active: true,
      scope: "call:tools/search",
      sub: "spiffe://example.org/agent",
      aud: "search",
      iss: ISSUER,
      exp: Math.floor((NOW + 300_000) / 1000),
      iat: expect.any(Number),
      jti: "ls_1",
      token_type: "Bearer",
      task_id: "tk_1",
    });
  });

  it("signs task tokens with the typ introspection pins", async () => {
    const { token } = await setup();
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"));
    expect(header.typ).toBe(TASK_TOKEN_TYP);
  });

  it("reports inactive a JWT signed by Leash's key with another typ, or with none", async () => {
    const { deps, keys } = await setup();
    // The control: the same claims with the task token's typ are active, so only the typ decides below.
    expect(await introspectTaskToken(deps, await signedByLeash(keys, TASK_TOKEN_TYP))).toMatchObject({
      active: true,
    });
    for (const typ of ["JWT", "leash-checkpoint+jwt", undefined]) {
      expect(await introspectTaskToken(deps, await signedByLeash(keys, typ))).toEqual({ active: false });
    }
  });

  it("reports inactive once the lease is no longer active, or past its expiry on the injected clock", async () => {
    for (const lease of [
      leaseOf({ state: "revoking" }),
      leaseOf({ state: "revoked" }),
      leaseOf({ expiresAt: NOW }),
      leaseOf({ provider: "vault" }),
    ]) {
      const { deps, token } = await setup(lease);
      expect(await introspectTaskToken(deps, token)).toEqual({ active: false });
    }
  });

  it("reports inactive a token of another issuer, another key, or no JWT at all", async () => {
    const { deps, token } = await setup();
    expect(await introspectTaskToken({ ...deps, issuer: "https://other.example" }, token)).toEqual({
      active: false,
    });
    const other = await setup();
    expect(await introspectTaskToken(deps, other.token)).toEqual({ active: false });
    expect(await introspectTaskToken(deps, "not-a-jwt")).toEqual({ active: false });
  });
});
