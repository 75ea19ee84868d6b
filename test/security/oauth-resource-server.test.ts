import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DocsServer, startDocsServer } from "../../apps/examples/src/docs-server.js";
import { agentId, ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";
import { unsecuredToken } from "./support/forge.js";

/**
 * What a holder of some token can try at resource servers that trust Leash: an MCP server protected by the
 * resource kit (apps/examples' docs server) and Leash's own /mcp, against a running Leash. Tokens moved between
 * audiences, v1 task tokens, tokens forged with Leash's own key but the wrong shape, DPoP proofs replayed or
 * aimed elsewhere, and requests from a foreign Origin. Each is refused before any tool runs, with the challenge a
 * client acts on, and no answer quotes the token.
 */
const AGENT = agentId("rs-attacker");
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
let stack: Stack;
let docs: DocsServer;
let mcp: string;
let task: string;
let leashKey: { kid: string; key: CryptoKey };

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
  docs = await startDocsServer({ leashUrl: stack.api });
  mcp = `${stack.api}/mcp`;
  const { keys } = JSON.parse(readFileSync(stack.signingKeyFile, "utf8")) as {
    keys: (JWK & { kid: string })[];
  };
  const current = keys[0] as JWK & { kid: string };
  leashKey = { kid: current.kid, key: (await importJWK(current, "ES256")) as CryptoKey };
  task = `rs-${randomUUID()}`;
  const created = await stack.call("POST", "/v1/tasks", await stack.token(ORCHESTRATOR), {
    id: task,
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  expect(created.status).toBe(201);
}, 60_000);
afterAll(async () => {
  await docs?.close();
  await stack?.stop();
});

/** An access token from the token endpoint (client credentials, the workload JWT as assertion). */
async function accessToken(
  resource: string,
  scope: string,
  dpop?: string,
): Promise<{ token: string; type: string }> {
  const assertion = await stack.issuer.mint({ sub: AGENT, aud: `${stack.api}/oauth/token`, ttlSeconds: 300 });
  const res = await fetch(`${stack.api}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(dpop ? { dpop } : {}) },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
      resource,
      scope,
    }),
  });
  const body = (await res.json()) as { access_token: string; token_type: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return { token: body.access_token, type: body.token_type };
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } },
});

async function call(url: string, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: INITIALIZE,
  });
  return { status: res.status, challenge: res.headers.get("www-authenticate") ?? "", body: await res.text() };
}

/** A 401 with the RFC 6750 / RFC 9449 error a client acts on, whose answer quotes nothing of the token. */
async function refused(url: string, headers: Record<string, string>, error: string, token?: string) {
  const seen = await call(url, headers);
  expect(seen.status, seen.body).toBe(401);
  expect(seen.challenge).toMatch(/^Bearer resource_metadata="[^"]+"/);
  expect(seen.challenge).toContain(`error="${error}"`);
  if (token) {
    expect(seen.body).not.toContain(token.split(".")[1]);
    expect(seen.challenge).not.toContain(token.split(".")[1]);
  }
}

/** A token with Leash's own key, kid and typ, carrying `claims` over those of a valid access token. */
async function forged(
  resource: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const base: Record<string, unknown> = {
    iss: stack.api,
    sub: AGENT,
    aud: resource,
    iat: now,
    exp: now + 300,
    jti: `forged-${randomUUID()}`,
    client_id: AGENT,
    task_id: task,
    authorization_details: [{ type: "leash_intent", task_id: task, action: "read", resource: "docs/" }],
  };
  const payload = { ...base, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", kid: leashKey.kid, typ: "at+jwt", ...header })
    .sign(leashKey.key);
}

describe("tokens moved between audiences", () => {
  it("refuses a token for the docs server at /mcp, and a token for /mcp at the docs server", async () => {
    const forDocs = await accessToken(docs.url, `task:${task} read:docs/`);
    const forMcp = await accessToken(mcp, `task:${task}`);
    expect((await call(docs.url, { authorization: `Bearer ${forDocs.token}` })).status).toBe(200);
    await refused(mcp, { authorization: `Bearer ${forDocs.token}` }, "invalid_token", forDocs.token);
    await refused(docs.url, { authorization: `Bearer ${forMcp.token}` }, "invalid_token", forMcp.token);
  });

  it("refuses a v1 task token presented as an access token at both", async () => {
    const issued = await stack.call("POST", "/v1/leases", await stack.token(AGENT), {
      task_id: task,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a.md" },
    });
    const taskToken = ((await issued.json()) as { credential: { token: string } }).credential.token;
    await refused(docs.url, { authorization: `Bearer ${taskToken}` }, "invalid_token", taskToken);
    await refused(mcp, { authorization: `Bearer ${taskToken}` }, "invalid_token", taskToken);
  });

  it("refuses tokens with Leash's key whose shape is wrong: several audiences, no client_id, no details, typ JWT, expired, another issuer", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [what, token] of [
      ["two audiences", await forged(docs.url, { aud: [docs.url, mcp] })],
      ["no client_id", await forged(docs.url, { client_id: undefined })],
      ["no authorization_details", await forged(docs.url, { authorization_details: undefined })],
      ["typ JWT", await forged(docs.url, {}, { typ: "JWT" })],
      ["expired", await forged(docs.url, { iat: now - 600, exp: now - 1 })],
      ["another issuer", await forged(docs.url, { iss: "https://evil.example" })],
    ] as const) {
      const seen = await call(docs.url, { authorization: `Bearer ${token}` });
      expect(seen.status, what).toBe(401);
    }
  });

  it("refuses alg none and a token signed by another key under Leash's kid", async () => {
    const claims = decodeJwt(await forged(docs.url, {}));
    await refused(docs.url, { authorization: `Bearer ${unsecuredToken(claims)}` }, "invalid_token");
    const other = await generateKeyPair("ES256");
    const impostor = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: leashKey.kid, typ: "at+jwt" })
      .sign(other.privateKey);
    await refused(docs.url, { authorization: `Bearer ${impostor}` }, "invalid_token");
  });
});

describe("DPoP-bound tokens at the resource server", () => {
  let holder: { privateKey: CryptoKey; jwk: JWK };
  let bound: string;
  const proof = async (
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key = holder,
  ) => {
    const ath = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(bound))).toString(
      "base64url",
    );
    const payload = {
      jti: randomUUID(),
      htm: "POST",
      htu: docs.url,
      iat: Math.floor(Date.now() / 1000),
      ath,
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.jwk, ...header })
      .sign(key.privateKey);
  };

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    holder = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    const tokenProof = await new SignJWT({
      jti: randomUUID(),
      htm: "POST",
      htu: `${stack.api}/oauth/token`,
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: holder.jwk })
      .sign(holder.privateKey);
    const issued = await accessToken(docs.url, `task:${task} read:docs/`, tokenProof);
    expect(issued.type).toBe("DPoP");
    bound = issued.token;
    expect((decodeJwt(bound).cnf as { jkt: string }).jkt).toBe(
      await calculateJwkThumbprint(holder.jwk, "sha256"),
    );
  });

  it("accepts its holder's proof once: a replay is refused", async () => {
    const headers = { authorization: `DPoP ${bound}`, dpop: await proof() };
    expect((await call(docs.url, headers)).status).toBe(200);
    await refused(docs.url, headers, "invalid_dpop_proof", bound);
  });

  it("refuses it as a bearer token and without a proof", async () => {
    await refused(docs.url, { authorization: `Bearer ${bound}` }, "invalid_token", bound);
    await refused(docs.url, { authorization: `DPoP ${bound}` }, "invalid_dpop_proof", bound);
  });

  it("refuses proofs for another method, URL or token, stale or from the future, by another key", async () => {
    const stranger = await generateKeyPair("ES256", { extractable: true });
    const strangerKey = { privateKey: stranger.privateKey, jwk: await exportJWK(stranger.publicKey) };
    const now = Math.floor(Date.now() / 1000);
    for (const [what, dpop] of [
      ["htm GET", await proof({ htm: "GET" })],
      ["htu of /mcp", await proof({ htu: mcp })],
      ["another token's ath", await proof({ ath: "A".repeat(43) })],
      ["iat 2 minutes old", await proof({ iat: now - 120 })],
      ["iat a minute ahead", await proof({ iat: now + 60 })],
      ["another key", await proof({}, {}, strangerKey)],
      ["typ JWT", await proof({}, { typ: "JWT" })],
    ] as const) {
      const seen = await call(docs.url, { authorization: `DPoP ${bound}`, dpop });
      expect(seen.status, what).toBe(401);
      expect(seen.challenge, what).toContain('error="invalid_dpop_proof"');
    }
  });

  it("refuses alg none, HMAC and private-key proofs", async () => {
    const payload = { jti: randomUUID(), htm: "POST", htu: docs.url, iat: Math.floor(Date.now() / 1000) };
    const none = unsecuredToken(payload);
    const hmac = await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt" })
      .sign(new TextEncoder().encode("k".repeat(32)));
    const pair = await generateKeyPair("ES256", { extractable: true });
    const leaky = await proof(
      {},
      { jwk: await exportJWK(pair.privateKey) },
      { privateKey: pair.privateKey, jwk: {} },
    );
    for (const dpop of [none, hmac, leaky]) {
      const seen = await call(docs.url, { authorization: `DPoP ${bound}`, dpop });
      expect(seen.status).toBe(401);
    }
  });
});

describe("requests from a foreign Origin (DNS rebinding)", () => {
  it("are refused 403 before the token is read, at the docs server and at /mcp", async () => {
    const { token } = await accessToken(docs.url, `task:${task} read:docs/`);
    const origin = "https://attacker.example";
    expect((await call(docs.url, { origin, authorization: `Bearer ${token}` })).status).toBe(403);
    expect((await call(mcp, { origin })).status).toBe(403);
  });
});

describe("a revoked token", () => {
  it("is refused by the resource server within 1 s of /oauth/revoke", async () => {
    const { token } = await accessToken(docs.url, `task:${task} read:docs/`);
    expect((await call(docs.url, { authorization: `Bearer ${token}` })).status).toBe(200);
    const revoked = await fetch(`${stack.api}/oauth/revoke`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await stack.token(AGENT)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ token }),
    });
    expect(revoked.status).toBe(200);
    const start = performance.now();
    while ((await call(docs.url, { authorization: `Bearer ${token}` })).status === 200)
      expect(performance.now() - start).toBeLessThan(1_000);
    expect((await call(docs.url, { authorization: `Bearer ${token}` })).status).toBe(401);
  });
});
