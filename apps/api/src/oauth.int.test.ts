import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ServedTestApp, serveTestApp, startRevoker, waitFor } from "./testing/oauth-app.js";
import { createTestApp } from "./testing/test-app.js";

/**
 * The authorization server over real HTTP: RFC 8414 metadata under LEASH_PUBLIC_URL, the token endpoint (token
 * exchange and client credentials, DPoP), each access token a lease decided like POST /v1/leases, introspection and
 * revocation by the agent, and the feed of ended tokens resource servers follow.
 */
const AGENT = "spiffe://t/agent/oauth";
const OTHER = "spiffe://t/agent/other";
const RESOURCE = "https://tools.example/mcp";
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

let s: ServedTestApp;
let stopRevoker: () => Promise<void>;
let orch: string;
let agent: string;
let other: string;
beforeAll(async () => {
  s = await serveTestApp(inject("redisUrl"));
  stopRevoker = startRevoker(s.t, inject("redisUrl"));
  orch = await s.t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await s.t.issuer.mint({ sub: AGENT });
  other = await s.t.issuer.mint({ sub: OTHER });
});
afterAll(async () => {
  await stopRevoker?.();
  await s?.close();
});

async function newTask(
  forAgent = AGENT,
  ceiling = [{ action: "read", resource: "docs/*" }],
): Promise<string> {
  const res = await s.t.request("POST", "/v1/tasks", orch, { agent: forAgent, ceiling, ttl_seconds: 600 });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

function post(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params),
  });
}

const exchange = (taskId: string, extra: Record<string, string> = {}) => ({
  grant_type: EXCHANGE,
  subject_token: agent,
  subject_token_type: JWT_TYPE,
  resource: RESOURCE,
  scope: `task:${taskId} read:docs/a.md`,
  ...extra,
});

interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  issued_token_type: string;
  scope?: string;
  authorization_details?: unknown[];
}

async function token(
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  const res = await post("/oauth/token", params, headers);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as TokenAnswer;
}

async function oauthError(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.error, text).toBe(error);
  expect(typeof body.error_description).toBe("string");
  return body;
}

async function claimsOf(accessToken: string, audience = RESOURCE) {
  const jwks = (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  return (await jwtVerify(accessToken, createLocalJWKSet(jwks), { issuer: s.url, audience, typ: "at+jwt" }))
    .payload;
}

describe("RFC 8414 metadata", () => {
  it("names every endpoint under LEASH_PUBLIC_URL, with what MCP clients require", async () => {
    const res = await fetch(`${s.url}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      issuer: s.url,
      authorization_endpoint: `${s.url}/oauth/authorize`,
      token_endpoint: `${s.url}/oauth/token`,
      revocation_endpoint: `${s.url}/oauth/revoke`,
      introspection_endpoint: `${s.url}/oauth/introspect`,
      jwks_uri: `${s.url}/.well-known/jwks.json`,
      response_types_supported: ["code"],
      grant_types_supported: [EXCHANGE, "client_credentials"],
      token_endpoint_auth_methods_supported: ["private_key_jwt", "none"],
      token_endpoint_auth_signing_alg_values_supported: ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
      revocation_endpoint_auth_methods_supported: ["private_key_jwt"],
      revocation_endpoint_auth_signing_alg_values_supported: ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
      introspection_endpoint_auth_methods_supported: ["private_key_jwt"],
      introspection_endpoint_auth_signing_alg_values_supported: ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
      dpop_signing_alg_values_supported: ["ES256", "ES384", "EdDSA", "RS256", "PS256"],
      authorization_details_types_supported: ["leash_intent"],
      leash_revoked_tokens_endpoint: `${s.url}/oauth/revocations`,
    });
  });

  it("with a path in LEASH_PUBLIC_URL, lives at the well-known prefix followed by that path (RFC 8414 §3.1)", async () => {
    const t = await createTestApp(inject("redisUrl"), { LEASH_PUBLIC_URL: "https://leash.example/p" });
    try {
      const res = await t.request("GET", "/.well-known/oauth-authorization-server/p", null);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        issuer: "https://leash.example/p",
        token_endpoint: "https://leash.example/p/oauth/token",
      });
      expect((await t.request("GET", "/.well-known/oauth-authorization-server", null)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it("the authorization endpoint answers unsupported_response_type, whatever is asked", async () => {
    const res = await fetch(`${s.url}/oauth/authorize?response_type=code&client_id=x`);
    await oauthError(res, 400, "unsupported_response_type");
  });
});

describe("token exchange (RFC 8693)", () => {
  it("issues an RFC 9068 access token for the resource, a lease of provider oauth", async () => {
    const taskId = await newTask();
    const res = await post("/oauth/token", exchange(taskId));
    expect(res.headers.get("cache-control")).toBe("no-store");
    const answer = (await res.json()) as TokenAnswer;
    expect(answer).toMatchObject({
      token_type: "Bearer",
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      scope: `task:${taskId} read:docs/a.md`,
    });
    expect(answer.expires_in).toBe(300);
    const claims = await claimsOf(answer.access_token);
    expect(claims).toMatchObject({
      sub: AGENT,
      client_id: AGENT,
      task_id: taskId,
      authorization_details: [
        { type: "leash_intent", task_id: taskId, action: "read", resource: "docs/a.md" },
      ],
    });
    const lease = await s.t.request("GET", `/v1/leases/${claims.jti}`, agent);
    expect(await lease.json()).toMatchObject({ provider: "oauth", target: RESOURCE, state: "active" });
  });

  it("echoes authorization_details when asked that way, with the agent's only task filled in", async () => {
    const taskId = await newTask(OTHER);
    const details = JSON.stringify([{ type: "leash_intent", action: "read", resource: "docs/b.md" }]);
    const answer = await token({
      ...exchange(taskId, { subject_token: other, authorization_details: details }),
      scope: "",
    }).catch(() => undefined);
    // scope and authorization_details together are refused; alone, details work.
    expect(answer).toBeUndefined();
    const params: Record<string, string> = { ...exchange(taskId, { subject_token: other }) };
    delete params.scope;
    params.authorization_details = details;
    const granted = await token(params);
    expect(granted.authorization_details).toEqual([
      { type: "leash_intent", task_id: taskId, action: "read", resource: "docs/b.md" },
    ]);
    expect(granted.scope).toBeUndefined();
  });

  it("refuses what is not an agent's workload JWT for the API: an access token, a task token, a forged one", async () => {
    const taskId = await newTask();
    const access = (await token(exchange(taskId))).access_token;
    const lease = await s.t.request("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a.md" },
    });
    const taskToken = ((await lease.json()) as { credential: { token: string } }).credential.token;
    for (const subject of [access, taskToken, `${agent.slice(0, -4)}AAAA`]) {
      await oauthError(
        await post("/oauth/token", exchange(taskId, { subject_token: subject })),
        400,
        "invalid_grant",
      );
    }
  });

  it("answers RFC 6749 errors for malformed requests, never problem+json", async () => {
    const taskId = await newTask();
    await oauthError(
      await post("/oauth/token", { ...exchange(taskId), grant_type: "password" }),
      400,
      "unsupported_grant_type",
    );
    const noResource: Record<string, string> = exchange(taskId);
    delete noResource.resource;
    await oauthError(await post("/oauth/token", noResource), 400, "invalid_target");
    await oauthError(
      await post("/oauth/token", exchange(taskId, { scope: "read:docs/../x" })),
      400,
      "invalid_scope",
    );
    const json = await fetch(`${s.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(exchange(taskId)),
    });
    await oauthError(json, 400, "invalid_request");
    const twice = new URLSearchParams(exchange(taskId));
    twice.append("subject_token", other);
    const repeated = await fetch(`${s.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: twice,
    });
    await oauthError(repeated, 400, "invalid_request");
    const big = await post("/oauth/token", exchange(taskId, { pad: "x".repeat(5000) }));
    await oauthError(big, 413, "invalid_request");
  });

  it("refuses an intent outside the ceiling as access_denied", async () => {
    const taskId = await newTask();
    const res = await post("/oauth/token", exchange(taskId, { scope: `task:${taskId} write:docs/a.md` }));
    await oauthError(res, 400, "access_denied");
  });
});

describe("client credentials with the workload JWT as client assertion (RFC 7523)", () => {
  const credentials = (assertion: string, scope: string) => ({
    grant_type: "client_credentials",
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion,
    resource: RESOURCE,
    scope,
  });

  it("issues for an assertion whose aud is the token endpoint or the issuer", async () => {
    const taskId = await newTask();
    for (const aud of [`${s.url}/oauth/token`, s.url]) {
      const assertion = await s.t.issuer.mint({ sub: AGENT, aud, ttlSeconds: 300 });
      const answer = await token({
        ...credentials(assertion, `task:${taskId} read:docs/a.md`),
        client_id: AGENT,
      });
      expect((await claimsOf(answer.access_token)).client_id).toBe(AGENT);
    }
  });

  it("refuses the API's own audience, a long-lived assertion, and a client_id not its subject, as invalid_client", async () => {
    const taskId = await newTask();
    const scope = `task:${taskId} read:docs/a.md`;
    const assertions = [
      agent,
      await s.t.issuer.mint({ sub: AGENT, aud: ["leash", s.url], ttlSeconds: 300 }),
      await s.t.issuer.mint({ sub: AGENT, aud: s.url, ttlSeconds: 601 }),
    ];
    for (const assertion of assertions)
      await oauthError(await post("/oauth/token", credentials(assertion, scope)), 401, "invalid_client");
    const good = await s.t.issuer.mint({ sub: AGENT, aud: s.url, ttlSeconds: 300 });
    const wrongId = { ...credentials(good, scope), client_id: OTHER };
    await oauthError(await post("/oauth/token", wrongId), 401, "invalid_client");
  });
});

describe("DPoP (RFC 9449)", () => {
  let key: { privateKey: CryptoKey; publicKey: CryptoKey };
  let jwk: JWK;
  beforeAll(async () => {
    key = await generateKeyPair("ES256");
    jwk = await exportJWK(key.publicKey);
  });
  const proof = (claims: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: crypto.randomUUID(),
      htm: "POST",
      htu: `${s.url}/oauth/token`,
      iat: Math.floor(Date.now() / 1000),
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
      .sign(key.privateKey);

  it("binds the token to the proof's key: token type DPoP and cnf.jkt", async () => {
    const taskId = await newTask();
    const answer = await token(exchange(taskId), { dpop: await proof() });
    expect(answer.token_type).toBe("DPoP");
    expect((await claimsOf(answer.access_token)).cnf).toEqual({ jkt: await calculateJwkThumbprint(jwk) });
  });

  it("refuses a replayed proof, one for another URL, and two proofs at once", async () => {
    const taskId = await newTask();
    const once = await proof();
    await token(exchange(taskId), { dpop: once });
    await oauthError(await post("/oauth/token", exchange(taskId), { dpop: once }), 400, "invalid_dpop_proof");
    const elsewhere = await proof({ htu: `${s.url}/oauth/introspect` });
    await oauthError(
      await post("/oauth/token", exchange(taskId), { dpop: elsewhere }),
      400,
      "invalid_dpop_proof",
    );
    const two = `${await proof()}, ${await proof()}`;
    await oauthError(await post("/oauth/token", exchange(taskId), { dpop: two }), 400, "invalid_dpop_proof");
  });
});

describe("introspection (RFC 7662), revocation (RFC 7009) and the feed of ended tokens", () => {
  const introspect = async (accessToken: string, caller = agent) =>
    (await (
      await post("/oauth/introspect", { token: accessToken }, { authorization: `Bearer ${caller}` })
    ).json()) as {
      active: boolean;
    } & Record<string, unknown>;

  async function feedAfter(cursor?: string) {
    const res = await fetch(`${s.url}/oauth/revocations${cursor ? `?after=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    return (await res.json()) as {
      revoked: { jti: string; exp: number }[];
      cursor: string;
      has_more: boolean;
    };
  }

  it("any trusted identity introspects; the caller must authenticate (Bearer or client assertion)", async () => {
    const taskId = await newTask();
    const access = (await token(exchange(taskId))).access_token;
    expect(await introspect(access, other)).toMatchObject({
      active: true,
      client_id: AGENT,
      aud: RESOURCE,
      token_type: "Bearer",
      task_id: taskId,
    });
    const assertion = await s.t.issuer.mint({ sub: OTHER, aud: `${s.url}/oauth/introspect`, ttlSeconds: 60 });
    const asClient = await post("/oauth/introspect", {
      token: access,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    });
    expect(((await asClient.json()) as { active: boolean }).active).toBe(true);
    await oauthError(await post("/oauth/introspect", { token: access }), 401, "invalid_client");
    const forged = await post("/oauth/introspect", { token: access }, { authorization: "Bearer x.y.z" });
    await oauthError(forged, 401, "invalid_client");
  });

  it("a v1 task token is never an active access token", async () => {
    const taskId = await newTask();
    const lease = await s.t.request("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a.md", tool: RESOURCE },
    });
    const taskToken = ((await lease.json()) as { credential: { token: string } }).credential.token;
    expect(await introspect(taskToken)).toEqual({ active: false });
  });

  it("the agent revokes its own token (inactive at once, in the feed once the worker has ended it); others' stay", async () => {
    const before = await feedAfter();
    const taskId = await newTask();
    const mine = (await token(exchange(taskId))).access_token;
    const theirs = (await token({ ...exchange(await newTask(OTHER), { subject_token: other }) }))
      .access_token;
    const revoked = await post("/oauth/revoke", { token: theirs }, { authorization: `Bearer ${agent}` });
    expect(revoked.status).toBe(200);
    expect(await introspect(theirs)).toMatchObject({ active: true });
    expect((await post("/oauth/revoke", { token: mine }, { authorization: `Bearer ${agent}` })).status).toBe(
      200,
    );
    expect(await introspect(mine)).toEqual({ active: false });
    const { jti, exp } = await claimsOf(mine);
    const entry = await waitFor(
      async () => (await feedAfter(before.cursor)).revoked.find((e) => e.jti === jti),
      5_000,
      "the revoked token in the feed",
    );
    expect(entry).toEqual({ jti, exp });
    const lease = await s.t.request("GET", `/v1/leases/${jti}`, agent);
    expect(await lease.json()).toMatchObject({ revoke_reason: "returned" });
  });

  it("ending the task ends its access tokens: inactive at once, then in the feed", async () => {
    const before = await feedAfter();
    const taskId = await newTask();
    const access = (await token(exchange(taskId))).access_token;
    expect((await s.t.request("POST", `/v1/tasks/${taskId}/complete`, orch)).status).toBe(202);
    expect(await introspect(access)).toEqual({ active: false });
    const { jti } = await claimsOf(access);
    await waitFor(
      async () => (await feedAfter(before.cursor)).revoked.find((e) => e.jti === jti),
      5_000,
      "the ended token in the feed",
    );
  });

  it("the feed pages by cursor and refuses a cursor that is not one", async () => {
    const page = await feedAfter();
    const res = await fetch(`${s.url}/oauth/revocations?after=${page.cursor}&limit=1`);
    expect(res.status).toBe(200);
    await oauthError(await fetch(`${s.url}/oauth/revocations?after=nope`), 400, "invalid_request");
    await oauthError(await fetch(`${s.url}/oauth/revocations?limit=0`), 400, "invalid_request");
  });
});

describe("a token for Leash's own /mcp", () => {
  it("needs no intent: the agent's only task, aud = <LEASH_PUBLIC_URL>/mcp, no ceiling entry", async () => {
    const sub = "spiffe://t/agent/mcp-only";
    const bearer = await s.t.issuer.mint({ sub });
    const taskId = await newTask(sub);
    const params: Record<string, string> = {
      ...exchange(taskId, { subject_token: bearer, resource: `${s.url}/mcp` }),
    };
    delete params.scope;
    const answer = await token(params);
    const claims = await claimsOf(answer.access_token, `${s.url}/mcp`);
    expect(claims.authorization_details).toEqual([{ type: "leash_intent", task_id: taskId }]);
    expect(claims.scope).toBeUndefined();
    const withTask = await token({ ...params, scope: `task:${taskId}` });
    expect(withTask.scope).toBe(`task:${taskId}`);
  });
});
