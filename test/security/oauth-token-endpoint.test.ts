import fc from "fast-check";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";
import { type ForgeIssuer, startForgeIssuer, unsecuredToken } from "./support/forge.js";
import { FUZZ_RUNS, unicodeText } from "./support/fuzz-inputs.js";
import { type Seen, see, violations } from "./support/problem.js";
import { rawRequest } from "./support/raw-http.js";
import { PARTNER_DOMAIN, rolesWith } from "./support/trust.js";

/**
 * The token endpoint against a running Leash (API and worker processes, a private Redis): what an attacker holding
 * some token, or a sub-agent, can try to turn into an access token, and the DPoP proofs it can forge or replay.
 * Each refusal is the RFC 6749 error a client acts on, and nothing is issued.
 */
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const RESOURCE = "https://tools.example/mcp";
const OTHER_RESOURCE = "https://other-tools.example/mcp";
const PARTNER_AGENT = `${PARTNER_DOMAIN}/agent/p1`;

let stack: Stack;
let partner: ForgeIssuer;
let orch: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  // A second trusted issuer whose key the test holds, so assertions can carry any claim with a valid signature.
  partner = await startForgeIssuer({ sub: PARTNER_AGENT });
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    extraIssuers: [
      { issuer: partner.issuerUrl, jwks_uri: partner.jwksUri, subject_prefixes: [`${PARTNER_DOMAIN}/`] },
    ],
    config: { roles: rolesWith({ agent: [`${PARTNER_DOMAIN}/agent/`] }) },
  });
  orch = await stack.token(ORCHESTRATOR);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await partner?.stop();
});

async function bearer(name: string): Promise<string> {
  tokens[name] ??= await stack.token(agentId(name));
  return tokens[name];
}

// No sensitivity cap: the scope form declares none, which a capped ceiling reads as restricted (as policies do).
const READ = { action: "read", resource: "docs/*" };

async function task(
  agent: string,
  ceiling: unknown[] = [READ],
  parentId?: string,
  as = orch,
): Promise<string> {
  // A sub-task may not outlive its parent.
  const body = {
    agent,
    ceiling,
    ttl_seconds: parentId ? 300 : 600,
    ...(parentId ? { parent_id: parentId } : {}),
  };
  const res = await stack.call("POST", "/v1/tasks", as, body);
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function post(
  path: string,
  params: Record<string, string> | URLSearchParams,
  headers = {},
): Promise<Seen> {
  const body = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  return see(
    await fetch(`${stack.api}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body,
    }),
  );
}

async function exchange(
  name: string,
  extra: Record<string, string | undefined>,
  headers = {},
): Promise<Seen> {
  const params: Record<string, string> = {
    grant_type: EXCHANGE,
    subject_token: await bearer(name),
    subject_token_type: JWT_TYPE,
    resource: RESOURCE,
  };
  for (const [k, v] of Object.entries(extra))
    if (v === undefined) delete params[k];
    else params[k] = v;
  return post("/oauth/token", params, headers);
}

const credentials = (assertion: string, scope: string, extra: Record<string, string> = {}) =>
  post("/oauth/token", {
    grant_type: "client_credentials",
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion,
    resource: RESOURCE,
    scope,
    ...extra,
  });

/** An RFC 6749 error with this status and code, which never quotes a token of the request. */
function refused(seen: Seen, status: number, error: string, secrets: string[] = []): Record<string, unknown> {
  expect(seen.status, seen.body).toBe(status);
  expect(violations(seen, "POST", "/oauth/token")).toEqual([]);
  const body = JSON.parse(seen.body) as Record<string, unknown>;
  expect(body.error, seen.body).toBe(error);
  for (const secret of secrets) expect(seen.body).not.toContain(secret);
  return body;
}

function issued(seen: Seen): { access_token: string; token_type: string } {
  expect(seen.status, seen.body).toBe(200);
  return JSON.parse(seen.body) as { access_token: string; token_type: string };
}

async function liveLeases(name: string): Promise<number> {
  const res = await stack.call(
    "GET",
    `/v1/agents/${encodeURIComponent(agentId(name))}/exposure`,
    await stack.token("spiffe://dev.local/security/sec"),
  );
  return ((await res.json()) as { count: number }).count;
}

describe("token substitution across audiences", () => {
  it("an access token, for this resource or another, is never a subject token, client assertion or API bearer", async () => {
    const taskId = await task(agentId("sub1"));
    const scope = `task:${taskId} read:docs/a.md`;
    const access = issued(await exchange("sub1", { scope })).access_token;
    const before = await liveLeases("sub1");
    refused(
      await exchange("sub1", { subject_token: access, scope, resource: OTHER_RESOURCE }),
      400,
      "invalid_grant",
      [access],
    );
    refused(await credentials(access, scope), 401, "invalid_client", [access]);
    expect((await stack.call("POST", "/v1/leases", access, {})).status).toBe(401);
    expect(await liveLeases("sub1")).toBe(before);
  });

  it("a v1 task token is not an access token: not at /oauth/introspect, not as subject token; and the reverse", async () => {
    const taskId = await task(agentId("sub2"));
    const res = await stack.call("POST", "/v1/leases", await bearer("sub2"), {
      task_id: taskId,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a.md", sensitivity: "internal", tool: RESOURCE },
    });
    const taskToken = ((await res.json()) as { credential: { token: string } }).credential.token;
    const introspect = await post(
      "/oauth/introspect",
      { token: taskToken },
      { authorization: `Bearer ${await bearer("sub2")}` },
    );
    expect(JSON.parse(introspect.body)).toEqual({ active: false });
    refused(
      await exchange("sub2", { subject_token: taskToken, scope: "read:docs/a.md" }),
      400,
      "invalid_grant",
    );
    const access = issued(await exchange("sub2", { scope: `task:${taskId} read:docs/a.md` })).access_token;
    const v1 = await stack.call("POST", "/v1/introspect", await bearer("sub2"), { token: access });
    expect(await v1.json()).toEqual({ active: false });
  });

  it("alg none and HMAC-signed workload tokens are refused as subject tokens", async () => {
    const taskId = await task(agentId("sub3"));
    const claims = {
      iss: partner.issuerUrl,
      sub: PARTNER_AGENT,
      aud: "leash",
      exp: Math.floor(Date.now() / 1000) + 300,
    };
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: partner.kid })
      .sign(new TextEncoder().encode(partner.publicPem));
    for (const forged of [unsecuredToken(claims), hmac])
      refused(
        await exchange("sub3", { subject_token: forged, scope: `task:${taskId} read:docs/a.md` }),
        400,
        "invalid_grant",
      );
  });
});

describe("resource: required, exactly one absolute https URI", () => {
  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["relative", "/mcp"],
    ["not a URL", "tools"],
    ["a URN", "urn:tools:mcp"],
    ["http off loopback", "http://tools.example/mcp"],
    ["a fragment", `${RESOURCE}#x`],
    ["credentials", "https://user:pw@tools.example/mcp"],
    ["a space", "https://tools.example/m cp"],
    ["non-ASCII", "https://tools.example/m\u00e9"],
    ["scheme without slashes", "https:tools.example/mcp"],
    ["backslashes", "https:\\\\tools.example\\mcp"],
    ["javascript", "javascript:alert(1)"],
  ])("refuses %s as invalid_target", async (_, resource) => {
    const taskId = await task(agentId("res"));
    refused(
      await exchange("res", { resource, scope: `task:${taskId} read:docs/a.md` }),
      400,
      "invalid_target",
    );
  });

  it("refuses two resources, and RFC 8693 audience instead", async () => {
    const taskId = await task(agentId("res2"));
    const params = new URLSearchParams({
      grant_type: EXCHANGE,
      subject_token: await bearer("res2"),
      subject_token_type: JWT_TYPE,
      resource: RESOURCE,
      scope: `task:${taskId} read:docs/a.md`,
    });
    params.append("resource", OTHER_RESOURCE);
    refused(await post("/oauth/token", params), 400, "invalid_target");
    refused(
      await exchange("res2", { audience: "tools", scope: `task:${taskId} read:docs/a.md` }),
      400,
      "invalid_target",
    );
  });
});

describe("client assertions (RFC 7523)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  let scope: string;
  beforeAll(async () => {
    scope = `task:${await task(PARTNER_AGENT)} read:docs/a.md`;
  });

  it("are accepted for the token endpoint or the issuer, and refused for any other audience, the API's included", async () => {
    for (const aud of [`${stack.api}/oauth/token`, stack.api, [stack.api, "https://elsewhere.example"]])
      issued(await credentials(await partner.sign({ aud }), scope));
    for (const aud of [
      "leash",
      ["leash", `${stack.api}/oauth/token`],
      "https://elsewhere.example",
      `${stack.api}/oauth/revoke`,
      `${stack.api}/`,
      undefined,
    ]) {
      const assertion = await partner.sign({ aud });
      refused(await credentials(assertion, scope), 401, "invalid_client", [assertion]);
    }
  });

  it("live at most 10 minutes from iat to exp, and need iat", async () => {
    issued(await credentials(await partner.sign({ aud: stack.api, iat: now(), exp: now() + 600 }), scope));
    for (const claims of [
      { iat: now(), exp: now() + 601 },
      // Still inside 10 minutes from now, but minted to live longer: its age is no defence.
      { iat: now() - 300, exp: now() + 301 },
      { iat: undefined, exp: now() + 60 },
    ])
      refused(
        await credentials(await partner.sign({ aud: stack.api, ...claims }), scope),
        401,
        "invalid_client",
      );
  });

  it("name their client: client_id must be the subject, and an assertion's subject must be an agent", async () => {
    const assertion = await partner.sign({ aud: stack.api });
    refused(await credentials(assertion, scope, { client_id: agentId("someone") }), 401, "invalid_client");
    const orchestrator = await stack.issuer.mint({ sub: ORCHESTRATOR, aud: stack.api, ttlSeconds: 300 });
    refused(await credentials(orchestrator, scope), 400, "unauthorized_client");
  });
});

describe("scope escalation through authorization_details", () => {
  const CEILING = [
    { action: "read", resource: "docs/*", sensitivity: "internal" },
    { action: "write", resource: "reports/q3.md", tool: "editor", destination: "warehouse.internal" },
  ];
  let taskId: string;
  beforeAll(async () => {
    taskId = await task(agentId("esc"), CEILING);
  });
  const details = (detail: Record<string, unknown>) =>
    exchange("esc", {
      authorization_details: JSON.stringify([{ type: "leash_intent", task_id: taskId, ...detail }]),
    });

  it("grants what the ceiling covers", async () => {
    issued(await details({ action: "read", resource: "docs/a.md", sensitivity: "internal" }));
  });

  it.each([
    ["a higher sensitivity", { action: "read", resource: "docs/a.md", sensitivity: "restricted" }],
    ["another action", { action: "delete", resource: "docs/a.md", sensitivity: "internal" }],
    ["a resource outside the prefix", { action: "read", resource: "secrets/a", sensitivity: "internal" }],
    [
      "another tool than the pinned one",
      { action: "write", resource: "reports/q3.md", tool: "shell", destination: "warehouse.internal" },
    ],
    [
      "another destination",
      { action: "write", resource: "reports/q3.md", tool: "editor", destination: "pastebin" },
    ],
  ])("refuses %s as access_denied", async (_, detail) => {
    refused(await details(detail), 400, "access_denied");
  });

  it.each([
    ["a path escape", { action: "read", resource: "docs/../secrets/a", sensitivity: "internal" }],
    ["a wildcard (everything)", { action: "read", resource: "*" }],
    ["the session intent of /mcp tokens", { action: "session", resource: "*" }],
    ["a percent-encoded escape", { action: "read", resource: "docs/%2e%2e/secrets" }],
    ["RFC 9396 common fields", { action: "read", resource: "docs/a.md", locations: [RESOURCE] }],
    ["another detail type", { type: "payment_initiation", action: "read", resource: "docs/a.md" }],
  ])("refuses %s as invalid_authorization_details", async (_, detail) => {
    refused(await details(detail), 400, "invalid_authorization_details");
  });

  it("refuses two details (one to pass, one to widen), and another agent's task", async () => {
    const two = JSON.stringify([
      {
        type: "leash_intent",
        task_id: taskId,
        action: "read",
        resource: "docs/a.md",
        sensitivity: "internal",
      },
      { type: "leash_intent", task_id: taskId, action: "write", resource: "docs/a.md" },
    ]);
    refused(await exchange("esc", { authorization_details: two }), 400, "invalid_authorization_details");
    const theirs = await task(agentId("victim"), CEILING);
    const stolen = JSON.stringify([
      {
        type: "leash_intent",
        task_id: theirs,
        action: "read",
        resource: "docs/a.md",
        sensitivity: "internal",
      },
    ]);
    refused(await exchange("esc", { authorization_details: stolen }), 400, "invalid_grant");
  });

  it("refuses the session intent through scope too, and a token without intent for another resource", async () => {
    refused(await exchange("esc", { scope: `task:${taskId} session:*` }), 400, "invalid_scope");
    refused(await exchange("esc", { scope: `task:${taskId}` }), 400, "invalid_request");
  });
});

describe("a sub-agent's exchange never widens its parent", () => {
  const PARENT = "parent";
  const CHILD = "child";
  let parentTask: string;
  let childTask: string;
  beforeAll(async () => {
    parentTask = await task(agentId(PARENT), [READ]);
    childTask = await task(
      agentId(CHILD),
      [{ action: "read", resource: "docs/team/*" }],
      parentTask,
      await bearer(PARENT),
    );
  });
  const actor = async (name: string) => ({ actor_token: await bearer(name), actor_token_type: JWT_TYPE });

  it("gets what its own ceiling covers, with the delegating agent as actor", async () => {
    issued(
      await exchange(CHILD, { scope: `task:${childTask} read:docs/team/a.md`, ...(await actor(PARENT)) }),
    );
  });

  it("is refused what only the parent's ceiling covers, and the parent's task itself", async () => {
    const wider = await exchange(CHILD, {
      scope: `task:${childTask} read:docs/other.md`,
      ...(await actor(PARENT)),
    });
    refused(wider, 400, "access_denied");
    const parents = await exchange(CHILD, {
      scope: `task:${parentTask} read:docs/other.md`,
      ...(await actor(PARENT)),
    });
    refused(parents, 400, "invalid_grant");
  });

  it("is refused with an actor token that is not the delegating agent's", async () => {
    const stranger = await exchange(CHILD, {
      scope: `task:${childTask} read:docs/team/a.md`,
      ...(await actor("stranger")),
    });
    refused(stranger, 400, "invalid_grant");
    const mistyped = await exchange(CHILD, {
      scope: `task:${childTask} read:docs/team/a.md`,
      actor_token: await bearer(PARENT),
      actor_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    refused(mistyped, 400, "invalid_request");
  });

  it("loses what the parent narrows away (the effective ceiling)", async () => {
    const res = await stack.call("PATCH", `/v1/tasks/${parentTask}`, orch, {
      ceiling: [{ action: "read", resource: "docs/public/*", sensitivity: "internal" }],
    });
    expect(res.status, await res.clone().text()).toBe(200);
    refused(await exchange(CHILD, { scope: `task:${childTask} read:docs/team/a.md` }), 400, "access_denied");
  });
});

describe("DPoP proofs (RFC 9449)", () => {
  let key: { privateKey: CryptoKey; publicKey: CryptoKey };
  let jwk: JWK;
  let taskId: string;
  beforeAll(async () => {
    key = await generateKeyPair("ES256");
    jwk = await exportJWK(key.publicKey);
    taskId = await task(agentId("dpop"));
  });
  const scope = () => `task:${taskId} read:docs/a.md`;
  const proof = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: crypto.randomUUID(),
      htm: "POST",
      htu: `${stack.api}/oauth/token`,
      iat: Math.floor(Date.now() / 1000),
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk, ...header })
      .sign(key.privateKey);
  const withProof = async (dpop: string) => exchange("dpop", { scope: scope() }, { dpop });

  it("binds a token to a fresh proof, and refuses the same proof again", async () => {
    const once = await proof();
    expect(issued(await withProof(once)).token_type).toBe("DPoP");
    refused(await withProof(once), 400, "invalid_dpop_proof");
  });

  it("refuses a replay raced in parallel: one of ten identical requests gets a token", async () => {
    const once = await proof();
    const seen = await Promise.all(Array.from({ length: 10 }, () => withProof(once)));
    expect(seen.filter((s) => s.status === 200)).toHaveLength(1);
    for (const s of seen.filter((x) => x.status !== 200)) refused(s, 400, "invalid_dpop_proof");
  });

  it.each([
    ["another method", { htm: "GET" }],
    ["another endpoint", { htu: "/oauth/introspect" }],
    ["another origin", { htu: "https://evil.example/oauth/token" }],
    ["a stale iat", { iat: Math.floor(Date.now() / 1000) - 120 }],
    ["an iat in the future", { iat: Math.floor(Date.now() / 1000) + 120 }],
  ])("refuses a proof for %s", async (_, claims) => {
    const fixed: Record<string, unknown> = { ...claims };
    if (typeof fixed.htu === "string" && fixed.htu.startsWith("/")) fixed.htu = `${stack.api}${fixed.htu}`;
    refused(await withProof(await proof(fixed)), 400, "invalid_dpop_proof");
  });

  it("refuses alg none and HMAC proofs, a proof signed by another key than its jwk, and a private jwk", async () => {
    const claims = {
      jti: crypto.randomUUID(),
      htm: "POST",
      htu: `${stack.api}/oauth/token`,
      iat: Math.floor(Date.now() / 1000),
    };
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    refused(
      await withProof(`${part({ alg: "none", typ: "dpop+jwt", jwk })}.${part(claims)}.`),
      400,
      "invalid_dpop_proof",
    );
    const secret = new TextEncoder().encode("s".repeat(32));
    // A symmetric key in the jwk header (jose's types refuse to write one: it is a private parameter).
    const symmetric = { kty: "oct", k: Buffer.from(secret).toString("base64url") } as unknown as JWK;
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: symmetric })
      .sign(secret);
    refused(await withProof(hmac), 400, "invalid_dpop_proof");
    const other = await generateKeyPair("ES256");
    const stranger = await new SignJWT({ ...claims, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
      .sign(other.privateKey);
    refused(await withProof(stranger), 400, "invalid_dpop_proof");
    const privateJwk = await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey);
    refused(await withProof(await proof({}, { jwk: privateJwk })), 400, "invalid_dpop_proof");
  });
});

describe("fuzzed form bodies", () => {
  it("/oauth/token, /oauth/revoke and /oauth/introspect: never a 5xx, always an RFC 6749 error or a token", async () => {
    const name = fc.constantFrom(
      "grant_type",
      "subject_token",
      "subject_token_type",
      "actor_token",
      "client_assertion",
      "client_assertion_type",
      "resource",
      "scope",
      "authorization_details",
      "token",
      "__proto__",
    );
    const value = fc.oneof(
      unicodeText,
      fc.constantFrom(
        EXCHANGE,
        "client_credentials",
        JWT_TYPE,
        JWT_BEARER,
        RESOURCE,
        "[{}]",
        '[{"type":"leash_intent"}]',
      ),
    );
    const body = fc.oneof(
      fc.array(fc.tuple(name, value), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString()),
      fc.string({ unit: "binary", maxLength: 200 }),
    );
    const path = fc.constantFrom("/oauth/token", "/oauth/revoke", "/oauth/introspect");
    await fc.assert(
      fc.asyncProperty(path, body, async (p, b) => {
        const seen = await rawRequest(stack.api, {
          method: "POST",
          path: p,
          body: b,
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(violations(seen, "POST", p)).toEqual([]);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
