import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeashError } from "@leash/core";
import { FakeClock } from "@leash/core/testing";
import { type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { rotateSigningKeys, SigningKeyFile } from "../leash-jwt/keys.js";
import { createLeashJwtProvider } from "../leash-jwt/provider.js";
import { createGatewayTokenVerifier, GATEWAY_TOKEN_TYP, signGatewayToken } from "./token.js";

const ISSUER = "https://leash.test";
const GATEWAY = "https://gw.test";
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

async function keyFile(): Promise<{ path: string; keys: SigningKeyFile }> {
  const path = join(mkdtempSync(join(tmpdir(), "leash-gwtoken-")), "keys.json");
  await rotateSigningKeys(path);
  return { path, keys: new SigningKeyFile(path, 0) };
}

let keys: SigningKeyFile;
let other: SigningKeyFile;
beforeAll(async () => {
  ({ keys } = await keyFile());
  ({ keys: other } = await keyFile());
});

const claims = {
  issuer: ISSUER,
  publicUrl: GATEWAY,
  leaseId: "ls_1",
  taskId: "tk_1",
  agent: "spiffe://t/agent/a",
  upstream: "github",
  intent: { action: "read", resource: "repos/" },
  methods: ["GET", "HEAD"],
  issuedAt: NOW,
  expiresAt: NOW + 60_000,
};

function verifier(clock = new FakeClock(NOW), withKeys: SigningKeyFile = keys) {
  return createGatewayTokenVerifier({ keys: withKeys, issuer: ISSUER, publicUrl: GATEWAY, clock });
}

async function refused(promise: Promise<unknown>, why: RegExp, token?: string): Promise<void> {
  const error = await promise.then(
    () => new Error("accepted"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LeashError);
  expect((error as LeashError).code).toBe("unauthenticated");
  expect((error as LeashError).message).toMatch(why);
  if (token) expect((error as LeashError).message).not.toContain(token);
}

/** A JWT with the gateway token's claims, signed by Leash's current key, with header and claims altered. */
async function forged(header: Record<string, unknown>, payload: JWTPayload = {}): Promise<string> {
  const { kid, privateKey } = await keys.current();
  const iat = Math.floor(NOW / 1000);
  return new SignJWT({
    task_id: "tk_1",
    upstream: "github",
    intent: { action: "read", resource: "repos/" },
    methods: ["GET"],
    lease_issued_at: NOW,
    iss: ISSUER,
    aud: `${GATEWAY}/u/github/`,
    sub: "spiffe://t/agent/a",
    jti: "ls_1",
    iat,
    nbf: iat,
    exp: iat + 60,
    ...payload,
  })
    .setProtectedHeader({ alg: "ES256", kid, typ: GATEWAY_TOKEN_TYP, ...header })
    .sign(privateKey);
}

describe("createGatewayTokenVerifier", () => {
  it("accepts a token of the upstream it is used under, and returns its grant", async () => {
    const token = await signGatewayToken(keys, claims);
    expect(await verifier().verify(token, "github")).toEqual({
      leaseId: "ls_1",
      taskId: "tk_1",
      agent: "spiffe://t/agent/a",
      upstream: "github",
      action: "read",
      resource: "repos/",
      methods: ["GET", "HEAD"],
      issuedAt: NOW,
      expiresAt: Math.floor((NOW + 60_000) / 1000) * 1000,
    });
    // The control for the forgeries below: the same claims, signed the same way, verify.
    expect(await verifier().verify(await forged({}), "github")).toMatchObject({ leaseId: "ls_1" });
  });

  it("refuses a token for another upstream (aud is the upstream's base_url)", async () => {
    const token = await signGatewayToken(keys, claims);
    await refused(verifier().verify(token, "slack"), /not valid for this upstream/, token);
    await refused(verifier().verify(token, "../github"), /not valid for this upstream/, token);
    // A token whose aud names the upstream but whose upstream claim names another is refused too.
    await refused(verifier().verify(await forged({}, { upstream: "slack" }), "github"), /lacks the claims/);
    const elsewhere = createGatewayTokenVerifier({ keys, issuer: ISSUER, publicUrl: "https://gw2.test" });
    await refused(elsewhere.verify(token, "github"), /not valid for this upstream/, token);
  });

  it("refuses an expired or not yet valid token on the injected clock, without leeway", async () => {
    const token = await signGatewayToken(keys, claims);
    const clock = new FakeClock(Math.floor((NOW + 60_000) / 1000) * 1000 - 1);
    expect(await verifier(clock).verify(token, "github")).toBeDefined();
    clock.advance(1);
    await refused(verifier(clock).verify(token, "github"), /expired/, token);
    await refused(verifier(new FakeClock(NOW - 1_000)).verify(token, "github"), /not valid yet/, token);
  });

  it("refuses a token signed by another key, and verifies one of the previous key after a rotation", async () => {
    await refused(verifier().verify(await signGatewayToken(other, claims), "github"), /not valid/);
    const { path, keys: rotating } = await keyFile();
    const before = await signGatewayToken(rotating, claims);
    await rotateSigningKeys(path);
    expect(await verifier(new FakeClock(NOW), rotating).verify(before, "github")).toMatchObject({
      leaseId: "ls_1",
    });
    await rotateSigningKeys(path);
    await refused(verifier(new FakeClock(NOW), rotating).verify(before, "github"), /not valid/);
  });

  it("refuses wrong typ, alg none, HMAC, another issuer, and a Leash task token (at+jwt)", async () => {
    for (const typ of ["JWT", "at+jwt", "leash-audit-checkpoint"]) {
      await refused(verifier().verify(await forged({ typ }), "github"), /not a gateway token/);
    }
    await refused(verifier().verify(await forged({}, { iss: "https://evil.test" }), "github"), /iss/);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const [, payload] = (await forged({})).split(".");
    const none = `${b64({ alg: "none", typ: GATEWAY_TOKEN_TYP })}.${payload}.`;
    await refused(verifier().verify(none, "github"), /not valid/);
    const { jwks } = await keys.current();
    const hmac = await new SignJWT({ ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) })
      .setProtectedHeader({ alg: "HS256", typ: GATEWAY_TOKEN_TYP })
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    await refused(verifier().verify(hmac, "github"), /not valid/);

    const taskTokens = createLeashJwtProvider({
      issuer: ISSUER,
      maxTtlSeconds: 3600,
      keys,
      clock: new FakeClock(NOW),
    });
    const task = await taskTokens.mint(
      {
        leaseId: "ls_1",
        taskId: "tk_1",
        agent: "spiffe://t/agent/a",
        target: undefined,
        intent: { action: "read", resource: `${GATEWAY}/u/github/`, tool: `${GATEWAY}/u/github/` },
        ttlSeconds: 60,
        expiresAt: NOW + 60_000,
        actorChain: [],
        scopeHints: [],
      },
      AbortSignal.timeout(5_000),
    );
    await refused(verifier().verify(String(task.credential.token), "github"), /not a gateway token/);
  });

  it("refuses a token lacking the gateway claims, or whose millisecond issue time disagrees with iat", async () => {
    for (const payload of [
      { methods: "GET" },
      { intent: "read:repos/" },
      { task_id: 1 },
      { lease_issued_at: NOW + 5_000 },
    ]) {
      await refused(verifier().verify(await forged({}, payload), "github"), /lacks the claims/);
    }
    await refused(verifier().verify(await forged({}, { jti: undefined }), "github"), /jti/);
    await refused(verifier().verify("not-a-jwt", "github"), /not valid/);
  });
});
