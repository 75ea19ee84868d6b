import { randomUUID } from "node:crypto";
import { type Intent, issueLease, SESSION_INTENT, type WorkloadIdentity } from "@leash/core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/**
 * Leash's own /mcp, in-process against a real Redis: the official SDK client (2025 revisions, no session) and raw
 * 2026-07-28 requests call the three tools with an access token whose audience is <public URL>/mcp; refusals are
 * isError results carrying the problem body; tokens for another audience, v1 task tokens and tokens of an ended
 * task are refused.
 */
const AGENT = "spiffe://t/agent/mcp";
const PUBLIC = "http://127.0.0.1:8080";
const MCP = `${PUBLIC}/mcp`;
let t: TestApp;
let orch: string;

const agentIdentity: WorkloadIdentity = {
  subject: AGENT,
  issuer: "https://issuer.test",
  roles: new Set(["agent"]),
  expiresAt: Date.now() + 3_600_000,
};

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { LEASH_PUBLIC_URL: PUBLIC });
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
});
afterAll(async () => {
  await t?.close();
});

async function newTask(): Promise<string> {
  const id = `mcp-${randomUUID()}`;
  const res = await t.request("POST", "/v1/tasks", orch, {
    id,
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  expect(res.status).toBe(201);
  return id;
}

/** An access token as the token endpoint issues it: an oauth lease for `resource`. */
async function accessToken(taskId: string, resource = MCP, intent: Intent = SESSION_INTENT): Promise<string> {
  const outcome = await issueLease(t.ctx.broker, agentIdentity, {
    taskId,
    provider: "oauth",
    target: resource,
    intent,
    ttlSeconds: 300,
  });
  if (outcome.kind !== "issued") throw new Error("expected a token");
  return String(outcome.credential.token);
}

async function client(token: string) {
  const transport = new StreamableHTTPClientTransport(new URL(MCP), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: async (url, init) => t.app.request(String(url), init),
  });
  const c = new Client({ name: "agent", version: "1.0.0" });
  await c.connect(transport);
  return c;
}

const post = (token: string | null, headers: Record<string, string> = {}) =>
  t.app.request(MCP, {
    method: "POST",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } },
    }),
  });

describe("/mcp", () => {
  it("publishes its RFC 9728 metadata: this resource, Leash as its authorization server, header tokens", async () => {
    const res = await t.app.request(`${PUBLIC}/.well-known/oauth-protected-resource/mcp`);
    expect(await res.json()).toEqual({
      resource: MCP,
      authorization_servers: [PUBLIC],
      bearer_methods_supported: ["header"],
    });
  });

  it("answers 401 pointing at the metadata, 405 to GET and DELETE, 403 to a foreign Origin first", async () => {
    const none = await post(null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${PUBLIC}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect((await t.app.request(MCP, { method: "GET" })).status).toBe(405);
    expect((await t.app.request(MCP, { method: "DELETE" })).status).toBe(405);
    expect((await post(null, { origin: "https://evil.example" })).status).toBe(403);
  });

  it("lets an agent ask for, list and return a credential through the official SDK client", async () => {
    const task = await newTask();
    const c = await client(await accessToken(task));
    const intent = { action: "read", resource: "docs/a.md" };
    const issued = await c.callTool({ name: "request_credential", arguments: { intent } });
    expect(issued.isError).toBeFalsy();
    const lease = issued.structuredContent as {
      lease_id: string;
      task_id: string;
      provider: string;
      credential: { token: string };
    };
    expect(lease).toMatchObject({ task_id: task, provider: "leash-jwt", state: "active" });
    expect(lease.credential.token).toMatch(/^ey/);
    const listed = await c.callTool({ name: "list_leases", arguments: {} });
    const items = (listed.structuredContent as { items: { lease_id: string; agent: string }[] }).items;
    expect(items.map((i) => i.lease_id)).toContain(lease.lease_id);
    expect(items.every((i) => i.agent === AGENT)).toBe(true);
    const returned = await c.callTool({ name: "return_credential", arguments: { lease_id: lease.lease_id } });
    expect(returned.structuredContent).toMatchObject({ lease_id: lease.lease_id });
    expect(["revoking", "revoked"]).toContain((returned.structuredContent as { state: string }).state);
    await c.close();
  });

  it("answers a refusal as an isError result carrying the problem body", async () => {
    const c = await client(await accessToken(await newTask()));
    const refused = await c.callTool({
      name: "request_credential",
      arguments: { intent: { action: "write", resource: "docs/a.md" } },
    });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({
      type: "urn:leash:problem:ceiling_exceeded",
      status: 403,
    });
    const unknown = await c.callTool({ name: "return_credential", arguments: { lease_id: "no-such-lease" } });
    expect(unknown.structuredContent).toMatchObject({ type: "urn:leash:problem:not_found", status: 404 });
    await c.close();
  });

  it("serves revision 2026-07-28 on the same URL", async () => {
    const token = await accessToken(await newTask());
    const res = await t.app.request(MCP, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "list_leases",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: {
          name: "list_leases",
          arguments: {},
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      }),
    });
    expect(res.status).toBe(200);
    // The one lease of the task so far is the /mcp token's own.
    expect(await res.json()).toMatchObject({
      id: 3,
      result: { resultType: "complete", structuredContent: { items: [{ provider: "oauth", target: MCP }] } },
    });
  });

  it("refuses a token for another resource and a v1 task token", async () => {
    const task = await newTask();
    const other = await accessToken(task, "https://tools.example/mcp", {
      action: "read",
      resource: "docs/a.md",
    });
    expect((await post(other)).status).toBe(401);
    const taskToken = await issueLease(t.ctx.broker, agentIdentity, {
      taskId: task,
      provider: "leash-jwt",
      target: undefined,
      intent: { action: "read", resource: "docs/a.md" },
      ttlSeconds: 60,
    });
    if (taskToken.kind !== "issued") throw new Error("expected a token");
    const res = await post(String(taskToken.credential.token));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("refuses the token once its task is completed", async () => {
    const task = await newTask();
    const token = await accessToken(task);
    expect((await post(token)).status).toBe(200);
    expect((await t.request("POST", `/v1/tasks/${task}/complete`, orch)).status).toBe(202);
    const res = await post(token);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});

describe("/mcp rate limit", () => {
  it("counts every tool call against the agent's bucket and refuses past it with a 429 problem", async () => {
    const limited = await createTestApp(inject("redisUrl"), {
      LEASH_PUBLIC_URL: PUBLIC,
      LEASH_RATE_LIMIT_PER_SECOND: "1",
      LEASH_RATE_LIMIT_BURST: "2",
    });
    try {
      const orchestrator = await limited.issuer.mint({ sub: "spiffe://t/orchestrator" });
      const id = `mcp-rl-${randomUUID()}`;
      const created = await limited.request("POST", "/v1/tasks", orchestrator, {
        id,
        agent: AGENT,
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 600,
      });
      expect(created.status).toBe(201);
      const outcome = await issueLease(limited.ctx.broker, agentIdentity, {
        taskId: id,
        provider: "oauth",
        target: MCP,
        intent: SESSION_INTENT,
        ttlSeconds: 300,
      });
      if (outcome.kind !== "issued") throw new Error("expected a token");
      const transport = new StreamableHTTPClientTransport(new URL(MCP), {
        requestInit: { headers: { authorization: `Bearer ${String(outcome.credential.token)}` } },
        fetch: async (url, init) => limited.app.request(String(url), init),
      });
      const c = new Client({ name: "agent", version: "1.0.0" });
      await c.connect(transport);
      const calls = [];
      for (let i = 0; i < 3; i += 1) calls.push(await c.callTool({ name: "list_leases", arguments: {} }));
      expect(calls.map((r) => Boolean(r.isError))).toEqual([false, false, true]);
      expect(calls[2]?.structuredContent).toMatchObject({
        type: "urn:leash:problem:rate_limited",
        status: 429,
      });
      await c.close();
    } finally {
      await limited.close();
    }
  });
});

describe("/mcp under a public URL with a path", () => {
  it("publishes its metadata at the well-known prefix then the path, naming the public resource", async () => {
    const behindProxy = await createTestApp(inject("redisUrl"), {
      LEASH_PUBLIC_URL: "https://leash.example/p",
    });
    try {
      const res = await behindProxy.app.request("/.well-known/oauth-protected-resource/p/mcp");
      expect(await res.json()).toEqual({
        resource: "https://leash.example/p/mcp",
        authorization_servers: ["https://leash.example/p"],
        bearer_methods_supported: ["header"],
      });
      const challenge = (await behindProxy.app.request("/mcp", { method: "POST" })).headers.get(
        "www-authenticate",
      );
      expect(challenge).toBe(
        'Bearer resource_metadata="https://leash.example/.well-known/oauth-protected-resource/p/mcp"',
      );
    } finally {
      await behindProxy.close();
    }
  });
});
