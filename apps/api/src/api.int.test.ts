import { createHmac, generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, ISSUER, type TestApp } from "./testing/test-app.js";

let t: TestApp;
let orch: string;
let agent: string;
let other: string;
let security: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/a" });
  other = await t.issuer.mint({ sub: "spiffe://t/agent/b" });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const body = (await res.json()) as { type: string; detail: string; status: number };
  expect(body.type).toBe(`urn:leash:problem:${code}`);
  expect(body.status).toBe(status);
  expect(body.detail).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
  return body;
}

async function newTask(body: Record<string, unknown> = {}) {
  const res = await t.request("POST", "/v1/tasks", orch, {
    agent: "spiffe://t/agent/a",
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
    ...body,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

describe("identity: a wrong or missing token is 401 and says why, without echoing the token", () => {
  it("no token", async () => {
    const res = await t.request("GET", "/v1/tasks/x", null);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    await problem(res, 401, "unauthenticated");
  });

  it("a token from an untrusted issuer, or with another audience", async () => {
    const foreign = await t.signRaw({
      iss: "https://evil.test",
      aud: "leash",
      sub: "spiffe://t/orchestrator",
      exp: now() + 600,
    });
    const wrongAud = await t.issuer.mint({ sub: "spiffe://t/orchestrator", aud: "not-leash" });
    for (const [token, words] of [
      [foreign, /issuer/],
      [wrongAud, /audience/],
    ] as const) {
      const body = await problem(await t.request("GET", "/v1/tasks/x", token), 401, "unauthenticated");
      expect(body.detail).toMatch(words);
      expect(JSON.stringify(body)).not.toContain(token);
    }
  });

  it("alg:none and HMAC signed with the issuer's public key are refused", async () => {
    const claims = {
      iss: ISSUER,
      aud: "leash",
      sub: "spiffe://t/orchestrator",
      exp: now() + 600,
      iat: now(),
    };
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
    const publicPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    const jwk = JSON.stringify(t.issuer.jwks().keys[0]);
    for (const secret of [publicPem.toString(), jwk]) {
      const input = `${b64({ alg: "HS256", typ: "JWT", kid: t.issuer.kid })}.${b64(claims)}`;
      const hs = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
      await problem(await t.request("GET", "/v1/tasks/x", hs), 401, "unauthenticated");
    }
    await problem(await t.request("GET", "/v1/tasks/x", none), 401, "unauthenticated");
  });

  it("expired and not-yet-valid tokens", async () => {
    const base = { iss: ISSUER, aud: "leash", sub: "spiffe://t/orchestrator" };
    const expired = await t.signRaw({ ...base, exp: now() - 120, iat: now() - 600 });
    const future = await t.signRaw({ ...base, exp: now() + 600, nbf: now() + 300 });
    const withinSkew = await t.signRaw({ ...base, exp: now() + 600, nbf: now() + 10 });
    expect((await t.request("GET", "/v1/tasks/x", withinSkew)).status).toBe(404);
    expect(
      (await problem(await t.request("GET", "/v1/tasks/x", expired), 401, "unauthenticated")).detail,
    ).toMatch(/expired/);
    await problem(await t.request("GET", "/v1/tasks/x", future), 401, "unauthenticated");
  });
});

describe("authorisation: each caller only reaches its own operations", () => {
  it("agents cannot call orchestrator or security endpoints", async () => {
    await problem(
      await t.request("POST", "/v1/tasks", agent, {
        agent: "spiffe://t/agent/a",
        ceiling: [{ action: "read", resource: "x" }],
        ttl_seconds: 60,
      }),
      403,
      "forbidden",
    );
    await problem(await t.request("GET", "/v1/leases", agent), 403, "forbidden");
    await problem(
      await t.request("POST", "/v1/revocations", agent, { selector: { all: true }, reason: "x" }),
      403,
      "forbidden",
    );
  });

  it("an orchestrator cannot take credentials, and an agent cannot use another agent's task or lease", async () => {
    const task = await newTask();
    const intent = { action: "read", resource: "docs/a" };
    await problem(
      await t.request("POST", "/v1/leases", orch, { task_id: task.id, provider: "leash-jwt", intent }),
      403,
      "forbidden",
    );
    // Another agent's task is answered like an unknown one, so task ids cannot be probed.
    await problem(
      await t.request("POST", "/v1/leases", other, { task_id: task.id, provider: "leash-jwt", intent }),
      404,
      "not_found",
    );
    const res = await t.request("POST", "/v1/leases", agent, {
      task_id: task.id,
      provider: "leash-jwt",
      intent,
    });
    const { lease_id } = (await res.json()) as { lease_id: string };
    await problem(await t.request("GET", `/v1/leases/${lease_id}`, other), 404, "not_found");
    await problem(await t.request("DELETE", `/v1/leases/${lease_id}`, other), 404, "not_found");
    expect((await t.request("GET", `/v1/leases/${lease_id}`, security)).status).toBe(200);
  });
});

describe("tasks", () => {
  it("re-registering an id with the same body returns it (200); another body is 409", async () => {
    const body = {
      id: "fixed-id-1",
      agent: "spiffe://t/agent/a",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 60,
    };
    expect((await t.request("POST", "/v1/tasks", orch, body)).status).toBe(201);
    expect((await t.request("POST", "/v1/tasks", orch, body)).status).toBe(200);
    await problem(await t.request("POST", "/v1/tasks", orch, { ...body, ttl_seconds: 61 }), 409, "conflict");
  });

  it("a completed task issues nothing more (409)", async () => {
    const task = await newTask();
    expect((await t.request("POST", `/v1/tasks/${task.id}/complete`, orch)).status).toBe(202);
    const res = await t.request("POST", "/v1/leases", agent, {
      task_id: task.id,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a" },
    });
    await problem(res, 409, "task_not_active");
  });
});

describe("least privilege", () => {
  it("an intent outside the ceiling is 403 with reasons; TTL is capped by the task deadline", async () => {
    const task = await newTask({ ttl_seconds: 30 });
    const denied = await t.request("POST", "/v1/leases", agent, {
      task_id: task.id,
      provider: "leash-jwt",
      intent: { action: "write", resource: "docs/a" },
    });
    const body = (await problem(denied, 403, "ceiling_exceeded")) as unknown as { reasons: string[] };
    expect(body.reasons.length).toBeGreaterThan(0);
    const ok = await t.request("POST", "/v1/leases", agent, {
      task_id: task.id,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a" },
      ttl_seconds: 3600,
    });
    const lease = (await ok.json()) as { issued_at: string; expires_at: string };
    expect(Date.parse(lease.expires_at) - Date.parse(lease.issued_at)).toBeLessThanOrEqual(30_000);
  });
});

describe("bad input is a problem+json a person can act on", () => {
  it("malformed JSON, unknown fields, wrong types, wildcards in requests, oversized and non-JSON bodies", async () => {
    await problem(await t.request("POST", "/v1/tasks", orch, "{not json"), 400, "malformed_json");
    const unknown = await problem(
      await t.request("POST", "/v1/tasks", orch, {
        agent: "a",
        ceiling: [{ action: "read", resource: "x" }],
        ttl_seconds: 5,
        colour: "red",
      }),
      400,
      "invalid_request",
    );
    expect(unknown.detail).toMatch(/colour/);
    const wrongType = await problem(
      await t.request("POST", "/v1/tasks", orch, {
        agent: "a",
        ceiling: [{ action: "read", resource: "x" }],
        ttl_seconds: "soon",
      }),
      400,
      "invalid_request",
    );
    expect(wrongType.detail).toMatch(/ttl_seconds/);
    const task = await newTask();
    const star = await problem(
      await t.request("POST", "/v1/leases", agent, {
        task_id: task.id,
        provider: "leash-jwt",
        intent: { action: "read", resource: "docs/*" },
      }),
      400,
      "invalid_request",
    );
    expect(star.detail).toMatch(/intent.resource/);
    await problem(
      await t.request("POST", "/v1/tasks", orch, { agent: "a".repeat(5000) }),
      413,
      "payload_too_large",
    );
    await problem(
      await t.request("POST", "/v1/tasks", orch, "agent=a", {
        "content-type": "application/x-www-form-urlencoded",
      }),
      415,
      "unsupported_media_type",
    );
  });

  it("unknown task, lease and route ids are 404 problems", async () => {
    await problem(await t.request("GET", "/v1/tasks/nope", orch), 404, "not_found");
    await problem(
      await t.request("POST", "/v1/leases", agent, {
        task_id: "nope",
        provider: "leash-jwt",
        intent: { action: "read", resource: "x" },
      }),
      404,
      "not_found",
    );
    await problem(await t.request("GET", "/v1/leases/nope", security), 404, "not_found");
    await problem(await t.request("GET", "/v1/nothing-here", orch), 404, "not_found");
  });
});

describe("operations", () => {
  it("health, JWKS and OpenAPI are anonymous; the OpenAPI document lists the contract's paths", async () => {
    expect((await t.request("GET", "/healthz", null)).status).toBe(200);
    const jwks = (await (await t.request("GET", "/.well-known/jwks.json", null)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    const doc = (await (await t.request("GET", "/openapi.json", null)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/tasks",
      "/v1/tasks/{id}",
      "/v1/tasks/{id}/complete",
      "/v1/tasks/{id}/cancel",
      "/v1/leases",
      "/v1/leases/{id}",
      "/v1/revocations",
      "/v1/revocations/{id}",
      "/v1/introspect",
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });
});

describe("rate limits per identity", () => {
  it("beyond the burst an identity gets 429 with Retry-After, while another identity is unaffected", async () => {
    const limited = await createTestApp(inject("redisUrl"), {
      LEASH_RATE_LIMIT_PER_SECOND: "1",
      LEASH_RATE_LIMIT_BURST: "3",
    });
    try {
      const a = await limited.issuer.mint({ sub: "spiffe://t/orchestrator" });
      const b = await limited.issuer.mint({ sub: "spiffe://t/security/other" });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.request("GET", "/v1/tasks/x", a)).status);
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      const res = await limited.request("GET", "/v1/tasks/x", a);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(((await res.json()) as { type: string }).type).toBe("urn:leash:problem:rate_limited");
      expect((await limited.request("GET", "/v1/tasks/x", b)).status).toBe(404);
    } finally {
      await limited.close();
    }
  });
});
