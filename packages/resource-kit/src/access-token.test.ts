import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidAccessToken, verifyAccessToken } from "./access-token.js";
import {
  accessToken,
  frozenClock,
  ISSUER,
  keysOf,
  NOW_S,
  RESOURCE,
  type Signer,
  signer,
} from "./testing/tokens.js";

let leash: Signer;
let other: Signer;
beforeAll(async () => {
  leash = await signer("leash");
  other = await signer("other");
});

const opts = () => ({
  issuer: ISSUER,
  resource: RESOURCE,
  keys: keysOf(leash),
  algorithms: ["ES256"],
  clock: frozenClock(),
  clockToleranceSeconds: 0,
});

async function refusal(token: string, options = opts()): Promise<string> {
  const error = await verifyAccessToken(token, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidAccessToken);
  return (error as Error).message;
}

describe("verifyAccessToken", () => {
  it("yields the agent, task, lease and intent of a valid token", async () => {
    const grant = await verifyAccessToken(
      await accessToken(leash, { scope: "task:task-1 read:docs/" }),
      opts(),
    );
    expect(grant).toMatchObject({
      agent: "spiffe://example.org/agent/a",
      clientId: "spiffe://example.org/agent/a",
      leaseId: "lease-1",
      taskId: "task-1",
      intent: { action: "read", resource: "docs/" },
      scopes: ["task:task-1", "read:docs/"],
      resource: RESOURCE,
      expiresAt: NOW_S + 300,
      actor: null,
      jkt: null,
    });
  });

  it("carries the delegation chain and the DPoP key binding", async () => {
    const token = await accessToken(leash, {
      act: { sub: "spiffe://example.org/agent/parent", act: { sub: "spiffe://example.org/orchestrator" } },
      cnf: { jkt: "thumb" },
    });
    const grant = await verifyAccessToken(token, opts());
    expect(grant.actor).toEqual({
      sub: "spiffe://example.org/agent/parent",
      act: { sub: "spiffe://example.org/orchestrator" },
    });
    expect(grant.jkt).toBe("thumb");
  });

  it("accepts a token for Leash's /mcp, whose leash_intent names the task and no intent", async () => {
    const details = [{ type: "leash_intent", task_id: "task-1" }];
    const grant = await verifyAccessToken(
      await accessToken(leash, { authorization_details: details }),
      opts(),
    );
    expect(grant.intent).toBeNull();
    expect(grant.taskId).toBe("task-1");
  });

  it("refuses a token for another resource, or for several (audience substitution)", async () => {
    expect(await refusal(await accessToken(leash, { aud: "https://other.example/mcp" }))).toMatch(
      /another resource/,
    );
    expect(await refusal(await accessToken(leash, { aud: [RESOURCE, "https://other.example/mcp"] }))).toMatch(
      /another resource/,
    );
  });

  it("refuses a v1 task token (no client_id, no authorization_details) even for this audience", async () => {
    const taskToken = await accessToken(leash, {
      client_id: undefined,
      authorization_details: undefined,
      scope: "read:docs/",
    });
    expect(await refusal(taskToken)).toMatch(/not a Leash access token/);
    expect(await refusal(await accessToken(leash, { authorization_details: undefined }))).toMatch(
      /not a Leash/,
    );
    expect(await refusal(await accessToken(leash, { client_id: undefined }))).toMatch(/not a Leash/);
  });

  it("refuses another issuer, another key, another typ, an expired token", async () => {
    expect(await refusal(await accessToken(leash, { iss: "https://evil.example" }))).toMatch(
      /another issuer/,
    );
    expect(await refusal(await accessToken(other))).toMatch(/does not verify/);
    expect(await refusal(await accessToken(leash, {}, { typ: "JWT" }))).toMatch(/typ/);
    expect(await refusal(await accessToken(leash, { exp: NOW_S }))).toMatch(/expired/);
  });

  it("refuses alg none and HMAC tokens whatever their claims", async () => {
    const claims = { iss: ISSUER, aud: RESOURCE, sub: "a", jti: "j", exp: NOW_S + 60, iat: NOW_S };
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    expect(await refusal(unsigned)).toMatch(/does not verify/);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new TextEncoder().encode("x".repeat(32)));
    expect(await refusal(hmac)).toMatch(/does not verify/);
  });

  it("refuses a malformed leash_intent rather than reading it as no intent", async () => {
    const token = await accessToken(leash, {
      authorization_details: [{ type: "leash_intent", action: "read" }],
    });
    expect(await refusal(token)).toMatch(/leash_intent is malformed/);
  });

  it("never puts the token or a claim value in the reason", async () => {
    const token = await accessToken(leash, { aud: "https://secret-audience.example" });
    const reason = await refusal(token);
    expect(reason).not.toContain("secret-audience");
    expect(reason).not.toContain(token.slice(0, 20));
  });
});
