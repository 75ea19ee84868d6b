import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@leash/devstack";
import { connectRedis, keyspace } from "@leash/store";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DocsServer, startDocsServer } from "../../apps/examples/src/docs-server.js";
import { auditLog } from "../support/fixtures.js";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { type Seen, see, violations } from "./support/problem.js";

/**
 * Where features meet, against a running Leash (API and worker processes, a policy directory, quotas): an OAuth
 * access token is a lease, so everything that ends leases must end it (dead at introspection, in the feed resource
 * servers follow, refused by a kit-protected server within 1 s, one receipt with its cause) and leave the quota
 * counts equal to what is live; a suspended identity gets nothing through the OAuth endpoints or /mcp; quotas hold
 * through every door.
 */
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const SCHEMA = new URL("../../infra/policies/schema.cedarschema", import.meta.url);
const BASE = `@id("read-anything")
permit (principal, action in [Leash::Action::"read", Leash::Action::"list"], resource);
@id("write-with-approval")
@approval("required")
permit (principal, action == Leash::Action::"write", resource);
`;
/** Kept under this many ms after the end is acknowledged: the contract's 1 s, plus room for a loaded machine. */
const DEAD_WITHIN_MS = 5_000;

const policyDir = mkdtempSync(join(tmpdir(), "leash-seams-"));
let stack: Stack;
let docs: DocsServer;
let orch: string;
let security: string;

beforeAll(async () => {
  writeFileSync(join(policyDir, "schema.cedarschema"), readFileSync(SCHEMA));
  writeFileSync(join(policyDir, "base.cedar"), BASE);
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    env: { LEASH_POLICY_DIR: policyDir },
    config: {
      quotas: [
        { id: "q-live", match: { agent_prefix: agentId("q-") }, per: "agent", max_live: 3 },
        { id: "q-rate", match: { agent: agentId("rate"), provider: "oauth" }, max_per_minute: 2 },
      ],
    },
  });
  docs = await startDocsServer({ leashUrl: stack.api });
  orch = await stack.token(ORCHESTRATOR);
  security = await stack.token(SECURITY);
}, 90_000);
afterAll(async () => {
  await docs?.close();
  await stack?.stop();
});

const READ = [{ action: "read", resource: "docs/*" }];

async function task(agent: string, extra: Record<string, unknown> = {}, as = orch): Promise<string> {
  const res = await stack.call("POST", "/v1/tasks", as, {
    agent: agentId(agent),
    ceiling: READ,
    ttl_seconds: 600,
    ...extra,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

function form(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${stack.api}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params),
  });
}

/** POST /oauth/token, token exchange with the agent's workload JWT. */
async function exchange(
  agent: string,
  taskId: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Seen> {
  return see(
    await form(
      "/oauth/token",
      {
        grant_type: EXCHANGE,
        subject_token: await stack.token(agentId(agent)),
        subject_token_type: JWT_TYPE,
        resource: docs.url,
        scope: `task:${taskId} read:docs/readme.md`,
        ...extra,
      },
      headers,
    ),
  );
}

function issued(seen: Seen): { token: string; leaseId: string } {
  expect(seen.status, seen.body).toBe(200);
  const token = (JSON.parse(seen.body) as { access_token: string }).access_token;
  return { token, leaseId: String(decodeJwt(token).jti) };
}

function refused(seen: Seen, status: number, error: string): Record<string, unknown> {
  expect(seen.status, seen.body).toBe(status);
  expect(violations(seen, "POST", "/oauth/token")).toEqual([]);
  const body = JSON.parse(seen.body) as Record<string, unknown>;
  expect(body.error, seen.body).toBe(error);
  return body;
}

async function introspect(token: string): Promise<boolean> {
  const res = await form("/oauth/introspect", { token }, { authorization: `Bearer ${security}` });
  return ((await res.json()) as { active: boolean }).active;
}

/** What the example docs server (the resource kit, following the feed) answers to the token. */
async function atDocs(token: string): Promise<number> {
  const res = await fetch(docs.url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } },
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function feedHas(jti: string): Promise<boolean> {
  let after: string | undefined;
  for (;;) {
    const res = await fetch(`${stack.api}/oauth/revocations${after ? `?after=${after}` : ""}`);
    const page = (await res.json()) as { revoked: { jti: string }[]; cursor: string; has_more: boolean };
    if (page.revoked.some((e) => e.jti === jti)) return true;
    if (!page.has_more) return false;
    after = page.cursor;
  }
}

interface Receipt {
  type: string;
  lease_id?: string;
  cause?: string;
  actor: string | null;
  detail?: Record<string, unknown>;
}

async function receiptsOf(leaseId: string): Promise<Receipt[]> {
  const receipts = await auditLog<Receipt>(stack, security, "type=lease.revoked");
  return receipts.filter((e) => e.lease_id === leaseId);
}

/**
 * The token is dead everywhere within the bound of the end acknowledged at `since`: introspection, a resource
 * server following the feed, the feed itself; its lease has exactly one `lease.revoked` receipt with `cause`.
 */
async function expectEnded(
  token: { token: string; leaseId: string },
  cause: string,
  actor: string,
  since: number,
): Promise<void> {
  await waitFor(async () => ((await atDocs(token.token)) === 401 ? true : undefined), {
    timeoutMs: DEAD_WITHIN_MS,
    intervalMs: 25,
    what: `the docs server to refuse the token (${cause})`,
  });
  const refusedAfter = Date.now() - since;
  expect(await introspect(token.token)).toBe(false);
  expect(await feedHas(token.leaseId), "the token is in the feed").toBe(true);
  const receipts = await waitFor(
    async () => {
      const found = await receiptsOf(token.leaseId);
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: DEAD_WITHIN_MS, intervalMs: 50, what: `a receipt (${cause})` },
  );
  expect(receipts).toHaveLength(1);
  expect(receipts[0]).toMatchObject({ cause, actor, detail: { provider: "oauth", target: docs.url } });
  expect(refusedAfter).toBeLessThan(DEAD_WITHIN_MS);
}

/** The per-agent quota's live count for `agent` against the leases it holds that are not ended. */
async function quotaLive(agent: string): Promise<{ counted: number | null; live: number }> {
  const id = encodeURIComponent(agentId(agent));
  const res = await stack.call("GET", `/v1/agents/${id}/exposure`, security);
  const body = (await res.json()) as { quotas: { id: string; usage: { live: number | null } }[] };
  const counted = body.quotas.find((q) => q.id === "q-live")?.usage.live ?? null;
  const list = await stack.call("GET", `/v1/leases?agent=${id}`, security);
  const items = ((await list.json()) as { items: { state: string }[] }).items;
  const live = items.filter((l) => ["pending", "active", "revoking", "revoke_failed"].includes(l.state));
  return { counted, live: live.length };
}

async function expectRecount(agent: string): Promise<void> {
  const { counted, live } = await waitFor(
    async () => {
      const seen = await quotaLive(agent);
      return seen.counted === seen.live ? seen : undefined;
    },
    {
      timeoutMs: DEAD_WITHIN_MS,
      intervalMs: 50,
      what: `the quota count of ${agent} to equal its live leases`,
    },
  ).catch(async () => quotaLive(agent));
  expect(counted, `q-live of ${agent}`).toBe(live);
}

describe("an access token ends with its lease, whatever ends it", () => {
  it("task completion and cancellation", async () => {
    for (const [verb, cause] of [
      ["complete", "task_completed"],
      ["cancel", "task_cancelled"],
    ] as const) {
      const taskId = await task("q-end-task");
      const token = issued(await exchange("q-end-task", taskId));
      expect(await atDocs(token.token)).toBe(200);
      const since = Date.now();
      expect((await stack.call("POST", `/v1/tasks/${taskId}/${verb}`, orch)).status).toBe(202);
      await expectEnded(token, cause, ORCHESTRATOR, since);
    }
    await expectRecount("q-end-task");
  });

  it("the task's deadline: no token outlives its task", async () => {
    const taskId = await task("q-end-expiry", { ttl_seconds: 2 });
    const token = issued(await exchange("q-end-expiry", taskId));
    const view = (await (await stack.call("GET", `/v1/tasks/${taskId}`, orch)).json()) as {
      deadline: string;
    };
    expect(Number(decodeJwt(token.token).exp) * 1000).toBeLessThanOrEqual(Date.parse(view.deadline));
    await waitFor(async () => ((await atDocs(token.token)) === 401 ? true : undefined), {
      timeoutMs: 2_000 + DEAD_WITHIN_MS,
      intervalMs: 50,
      what: "the docs server to refuse the token",
    });
    expect(await introspect(token.token)).toBe(false);
    await expectRecount("q-end-expiry");
  });

  it("returned at /oauth/revoke, by DELETE and by the security team", async () => {
    const taskId = await task("q-end-return");
    const agent = await stack.token(agentId("q-end-return"));
    const a = issued(await exchange("q-end-return", taskId));
    let since = Date.now();
    expect(
      (await form("/oauth/revoke", { token: a.token }, { authorization: `Bearer ${agent}` })).status,
    ).toBe(200);
    await expectEnded(a, "returned", agentId("q-end-return"), since);
    const b = issued(await exchange("q-end-return", taskId));
    since = Date.now();
    expect((await stack.call("DELETE", `/v1/leases/${b.leaseId}`, agent)).status).toBe(202);
    await expectEnded(b, "returned", agentId("q-end-return"), since);
    const c = issued(await exchange("q-end-return", taskId));
    since = Date.now();
    expect((await stack.call("DELETE", `/v1/leases/${c.leaseId}`, security)).status).toBe(202);
    await expectEnded(c, "security", SECURITY, since);
    await expectRecount("q-end-return");
  });

  it("narrowing the task, or its parent", async () => {
    const parent = await task("q-end-narrow");
    const child = await task(
      "q-end-narrow-child",
      { parent_id: parent, ttl_seconds: 300 },
      await stack.token(agentId("q-end-narrow")),
    );
    const own = issued(await exchange("q-end-narrow", parent));
    const delegated = issued(await exchange("q-end-narrow-child", child));
    const since = Date.now();
    const res = await stack.call("PATCH", `/v1/tasks/${parent}`, orch, {
      ceiling: [{ action: "read", resource: "docs/other/*" }],
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { revoking: number }).revoking).toBe(2);
    await expectEnded(own, "ceiling_narrowed", ORCHESTRATOR, since);
    await expectEnded(delegated, "ceiling_narrowed", ORCHESTRATOR, since);
    await expectRecount("q-end-narrow");
    await expectRecount("q-end-narrow-child");
  });

  it("suspending the agent, or the agent that delegated its task", async () => {
    const parent = await task("q-end-susp");
    const child = await task(
      "q-end-susp-child",
      { parent_id: parent, ttl_seconds: 300 },
      await stack.token(agentId("q-end-susp")),
    );
    const own = issued(await exchange("q-end-susp", parent));
    const delegated = issued(await exchange("q-end-susp-child", child));
    const since = Date.now();
    const res = await stack.call(
      "POST",
      `/v1/agents/${encodeURIComponent(agentId("q-end-susp"))}/suspend`,
      security,
      { reason: "seams" },
    );
    expect(res.status, await res.clone().text()).toBe(202);
    await expectEnded(own, "agent_suspended", SECURITY, since);
    await expectEnded(delegated, "agent_suspended", SECURITY, since);
    await expectRecount("q-end-susp");
    await expectRecount("q-end-susp-child");
  });

  it("a revocation campaign", async () => {
    const taskId = await task("q-end-campaign");
    const token = issued(await exchange("q-end-campaign", taskId));
    const since = Date.now();
    const res = await stack.call("POST", "/v1/revocations", security, {
      selector: { agent: agentId("q-end-campaign"), provider: "oauth" },
      reason: "seams",
    });
    expect(res.status, await res.clone().text()).toBe(202);
    await expectEnded(token, "campaign", SECURITY, since);
    await expectRecount("q-end-campaign");
  });

  it("the end of the break-glass grant it needed", async () => {
    const taskId = await task("q-end-glass");
    const grant = await stack.call("POST", "/v1/break-glass", security, {
      task_id: taskId,
      justification: "seams between features",
      ttl_seconds: 300,
      ceiling: [{ action: "read", resource: "glass/*" }],
    });
    expect(grant.status, await grant.clone().text()).toBe(201);
    const grantId = ((await grant.json()) as { id: string }).id;
    const token = issued(
      await exchange("q-end-glass", taskId, { scope: `task:${taskId} read:glass/readme.md` }),
    );
    const since = Date.now();
    expect((await stack.call("DELETE", `/v1/break-glass/${grantId}`, security)).status).toBe(202);
    await expectEnded(token, "break_glass_ended", SECURITY, since);
    await expectRecount("q-end-glass");
  });

  it("a policy change that denies it (re-evaluation)", async () => {
    const taskId = await task("q-end-policy", { ceiling: [{ action: "read", resource: "*" }] });
    const token = issued(
      await exchange("q-end-policy", taskId, { scope: `task:${taskId} read:reeval/readme.md` }),
    );
    const since = Date.now();
    writeFileSync(
      join(policyDir, "seams.cedar"),
      `@id("seams-deny")\nforbid (principal, action, resource) when { resource.id like "reeval/*" };\n`,
    );
    await expectEnded(token, "policy_changed", "leash", since);
    await expectRecount("q-end-policy");
  });
});

/** The official MCP SDK client on Leash's /mcp with an access token for it. */
async function mcpClient(token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${stack.api}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "seams", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function mcpToken(agent: string, taskId: string): Promise<string> {
  return issued(await exchange(agent, taskId, { resource: `${stack.api}/mcp`, scope: `task:${taskId}` }))
    .token;
}

interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
}

const suspend = (agent: string, body: Record<string, unknown> = {}) =>
  stack.call("POST", `/v1/agents/${encodeURIComponent(agentId(agent))}/suspend`, security, {
    reason: "seams",
    ...body,
  });

describe("a suspended identity gets nothing through the OAuth endpoints or /mcp", () => {
  it("its own tokens die, and no endpoint serves it", async () => {
    const taskId = await task("susp-all");
    const session = await mcpToken("susp-all", taskId);
    const access = issued(await exchange("susp-all", taskId));
    expect((await suspend("susp-all")).status).toBe(202);
    const agent = await stack.token(agentId("susp-all"));
    const body = refused(await exchange("susp-all", taskId), 400, "access_denied");
    expect(String(body.error_description)).toMatch(/suspended/);
    const assertion = await stack.issuer.mint({
      sub: agentId("susp-all"),
      aud: `${stack.api}/oauth/token`,
      ttlSeconds: 120,
    });
    refused(
      await see(
        await form("/oauth/token", {
          grant_type: "client_credentials",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
          resource: docs.url,
          scope: `task:${taskId} read:docs/readme.md`,
        }),
      ),
      400,
      "access_denied",
    );
    for (const path of ["/oauth/introspect", "/oauth/revoke"]) {
      const res = await see(await form(path, { token: access.token }, { authorization: `Bearer ${agent}` }));
      expect(res.status, `${path}: ${res.body}`).toBe(403);
      expect(violations(res, "POST", path)).toEqual([]);
    }
    await expect(mcpClient(session)).rejects.toThrow();
    expect(await introspect(access.token)).toBe(false);
    // Lifting restores nothing.
    const lifted = await stack.call(
      "DELETE",
      `/v1/agents/${encodeURIComponent(agentId("susp-all"))}/suspend`,
      security,
    );
    expect(lifted.status).toBe(200);
    expect(await introspect(access.token)).toBe(false);
    await expect(mcpClient(session)).rejects.toThrow();
  });

  it("its delegates get nothing under its tasks, through the token endpoint or /mcp, even when their leases were left", async () => {
    const parent = await task("susp-parent");
    const parentJwt = await stack.token(agentId("susp-parent"));
    const child = await task("susp-child", { parent_id: parent, ttl_seconds: 300 }, parentJwt);
    const session = await mcpToken("susp-child", child);
    const client = await mcpClient(session);
    expect((await suspend("susp-parent", { include_delegated: false })).status).toBe(202);
    refused(await exchange("susp-child", child), 400, "access_denied");
    refused(
      await exchange("susp-child", child, { actor_token: parentJwt, actor_token_type: JWT_TYPE }),
      400,
      "access_denied",
    );
    const asked = (await client.callTool({
      name: "request_credential",
      arguments: { intent: { action: "read", resource: "docs/readme.md" } },
    })) as ToolResult;
    expect(asked.isError).toBe(true);
    expect(asked.structuredContent).toMatchObject({ type: "urn:leash:problem:agent_suspended" });
    const viaMcp = (await client.callTool({
      name: "request_credential",
      arguments: {
        provider: "oauth",
        target: docs.url,
        intent: { action: "read", resource: "docs/readme.md" },
      },
    })) as ToolResult;
    expect(viaMcp.isError).toBe(true);
    await client.close();
  });
});

describe("quotas hold through every door", () => {
  it("one agent's pool is shared by /v1/leases, /oauth/token and /mcp, under concurrency", async () => {
    const taskId = await task("q-door");
    const jwt = await stack.token(agentId("q-door"));
    const session = await mcpToken("q-door", taskId); // 1 of 3
    const client = await mcpClient(session);
    const intent = { action: "read", resource: "docs/readme.md" };
    const attempts = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        if (i % 3 === 0) {
          const res = await see(
            await stack.call("POST", "/v1/leases", jwt, { task_id: taskId, provider: "leash-jwt", intent }),
          );
          if (res.status === 429)
            expect(JSON.parse(res.body)).toMatchObject({ quota: "q-live", limit: "max_live", max: 3 });
          return res.status === 201;
        }
        if (i % 3 === 1) {
          const res = await exchange("q-door", taskId);
          if (res.status !== 200) {
            const body = refused(res, 429, "access_denied");
            expect(body).toMatchObject({ quota: "q-live", limit: "max_live", max: 3 });
          }
          return res.status === 200;
        }
        const result = (await client.callTool({
          name: "request_credential",
          arguments: { intent },
        })) as ToolResult;
        if (result.isError) expect(result.structuredContent).toMatchObject({ status: 429, quota: "q-live" });
        return !result.isError;
      }),
    );
    expect(attempts.filter(Boolean)).toHaveLength(2);
    await client.close();
    await expectRecount("q-door");
  });

  it("a rate quota refuses the token endpoint with Retry-After", async () => {
    const taskId = await task("rate");
    issued(await exchange("rate", taskId));
    issued(await exchange("rate", taskId));
    const third = await exchange("rate", taskId);
    expect(refused(third, 429, "access_denied")).toMatchObject({
      quota: "q-rate",
      limit: "max_per_minute",
      max: 2,
    });
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("a task's quota binds its sub-agent's access tokens, and a sub-task cannot raise it", async () => {
    const parent = await task("tq-parent", { quota: { max_live: 2, max_issued: 3 } });
    const parentJwt = await stack.token(agentId("tq-parent"));
    const higher = await stack.call("POST", "/v1/tasks", parentJwt, {
      agent: agentId("tq-child"),
      ceiling: READ,
      ttl_seconds: 300,
      parent_id: parent,
      quota: { max_live: 5 },
    });
    expect(higher.status).toBe(400);
    const child = await task("tq-child", { parent_id: parent, ttl_seconds: 300 }, parentJwt);
    issued(await exchange("tq-parent", parent));
    const second = issued(await exchange("tq-child", child));
    expect(refused(await exchange("tq-child", child), 429, "access_denied")).toMatchObject({
      quota: `task:${parent}`,
      limit: "max_live",
    });
    // Returning one frees a live slot; the issued total still counts it.
    expect(
      (
        await form(
          "/oauth/revoke",
          { token: second.token },
          { authorization: `Bearer ${await stack.token(agentId("tq-child"))}` },
        )
      ).status,
    ).toBe(200);
    await waitFor(async () => ((await exchange("tq-child", child)).status === 200 ? true : undefined), {
      timeoutMs: DEAD_WITHIN_MS,
      intervalMs: 50,
      what: "a slot to free",
    });
    expect(refused(await exchange("tq-parent", parent), 429, "access_denied")).toMatchObject({
      quota: `task:${parent}`,
    });
    const view = (await (await stack.call("GET", `/v1/tasks/${parent}`, orch)).json()) as {
      quota_usage: { live: number; issued: number };
    };
    expect(view.quota_usage).toEqual({ live: 2, issued: 3 });
  });

  it("an approved step-up refused by a full quota is still approved once a slot frees", async () => {
    const taskId = await task("q-approval", {
      ceiling: [
        { action: "read", resource: "docs/*" },
        { action: "write", resource: "docs/*" },
      ],
    });
    const write = { scope: `task:${taskId} write:docs/readme.md` };
    const asked = refused(await exchange("q-approval", taskId, write), 400, "access_denied");
    const approvalId = String(asked.approval_id);
    const approved = await stack.call("POST", `/v1/approvals/${approvalId}/approve`, security);
    expect(approved.status, await approved.clone().text()).toBe(200);
    const held = [
      issued(await exchange("q-approval", taskId)),
      issued(await exchange("q-approval", taskId)),
      issued(await exchange("q-approval", taskId)),
    ];
    refused(await exchange("q-approval", taskId, write), 429, "access_denied");
    const agent = await stack.token(agentId("q-approval"));
    expect(
      (await form("/oauth/revoke", { token: held[0]?.token ?? "" }, { authorization: `Bearer ${agent}` }))
        .status,
    ).toBe(200);
    const after = await waitFor(
      async () => {
        const seen = await exchange("q-approval", taskId, write);
        return seen.status === 429 ? undefined : seen;
      },
      { timeoutMs: DEAD_WITHIN_MS, intervalMs: 50, what: "a slot to free" },
    );
    issued(after);
    await expectRecount("q-approval");
  });

  it("a retried stepped-up request gets its lease back under its Idempotency-Key, and no one is asked again", async () => {
    const taskId = await task("idem-approval", { ceiling: [{ action: "write", resource: "docs/*" }] });
    const jwt = await stack.token(agentId("idem-approval"));
    const body = {
      task_id: taskId,
      provider: "leash-jwt",
      intent: { action: "write", resource: "docs/readme.md", sensitivity: "internal" },
    };
    const key = { "idempotency-key": "seams-step-up" };
    const asked = await stack.call("POST", "/v1/leases", jwt, body, key);
    expect(asked.status, await asked.clone().text()).toBe(202);
    const { approval_id } = (await asked.json()) as { approval_id: string };
    expect((await stack.call("POST", `/v1/approvals/${approval_id}/approve`, security)).status).toBe(200);
    const first = await stack.call("POST", "/v1/leases", jwt, body, key);
    expect(first.status, await first.clone().text()).toBe(201);
    const again = await stack.call("POST", "/v1/leases", jwt, body, key);
    expect(again.status, await again.clone().text()).toBe(200);
    const leaseOf = async (res: Response) => ((await res.json()) as { lease_id: string }).lease_id;
    expect(await leaseOf(again)).toBe(await leaseOf(first));
    const pending = await stack.call("GET", "/v1/approvals?state=pending", security);
    const items = ((await pending.json()) as { items: { agent: string }[] }).items;
    expect(items.filter((a) => a.agent === agentId("idem-approval"))).toEqual([]);
  });

  it("an Idempotency-Key replay of an oauth lease counts nothing, even with the pool full", async () => {
    const taskId = await task("q-idem");
    const jwt = await stack.token(agentId("q-idem"));
    const body = {
      task_id: taskId,
      provider: "oauth",
      target: docs.url,
      intent: { action: "read", resource: "docs/readme.md" },
    };
    const first = await stack.call("POST", "/v1/leases", jwt, body, { "idempotency-key": "seams-1" });
    expect(first.status, await first.clone().text()).toBe(201);
    issued(await exchange("q-idem", taskId));
    issued(await exchange("q-idem", taskId));
    refused(await exchange("q-idem", taskId), 429, "access_denied");
    const again = await stack.call("POST", "/v1/leases", jwt, body, { "idempotency-key": "seams-1" });
    expect(again.status, await again.clone().text()).toBe(200);
    await expectRecount("q-idem");
    expect((await quotaLive("q-idem")).counted).toBe(3);
  });
});

describe("/mcp keeps each agent to its own", () => {
  it("refuses every Origin but its own, however it is spelt, before reading the token", async () => {
    const own = new URL(stack.api).origin;
    const port = new URL(stack.api).port;
    for (const origin of [
      "null",
      own.toUpperCase(),
      `${own}/`,
      `http://localhost:${port}`,
      "http://127.0.0.1",
      `${own}.evil.example`,
      `${own}, https://evil.example`,
    ]) {
      const res = await fetch(`${stack.api}/mcp`, {
        method: "POST",
        headers: { origin, "content-type": "application/json", authorization: "Bearer x.y.z" },
        body: "{}",
      });
      expect(res.status, origin).toBe(403);
    }
  });

  it("a token for one task gets nothing under the agent's other tasks", async () => {
    const scoped = await task("mcp-tasks");
    const other = await task("mcp-tasks", { ceiling: [{ action: "read", resource: "*" }] });
    const client = await mcpClient(await mcpToken("mcp-tasks", scoped));
    const asked = (await client.callTool({
      name: "request_credential",
      arguments: { task_id: other, intent: { action: "read", resource: "finance/ledger" } },
    })) as ToolResult;
    expect(asked.isError).toBe(true);
    expect(asked.structuredContent).toMatchObject({ status: 404 });
    const listed = (await client.callTool({
      name: "list_leases",
      arguments: { task_id: other },
    })) as ToolResult;
    expect(listed.isError).toBe(true);
    const own = (await client.callTool({
      name: "request_credential",
      arguments: { task_id: scoped, intent: { action: "read", resource: "docs/readme.md" } },
    })) as ToolResult;
    expect(own.isError, JSON.stringify(own.structuredContent)).toBeFalsy();
    await client.close();
  });

  it("list_leases shows only the token's agent's leases, return_credential refuses another's lease", async () => {
    const parent = await task("mcp-own");
    const parentJwt = await stack.token(agentId("mcp-own"));
    const child = await task("mcp-other", { parent_id: parent, ttl_seconds: 300 }, parentJwt);
    const theirs = issued(await exchange("mcp-other", child));
    const mine = await mcpClient(await mcpToken("mcp-own", parent));
    for (const args of [{}, { task_id: child }, { task_id: child, state: "active" }]) {
      const listed = (await mine.callTool({ name: "list_leases", arguments: args })) as ToolResult;
      const items = (listed.structuredContent?.items ?? []) as { lease_id: string; agent: string }[];
      expect(
        items.every((l) => l.agent === agentId("mcp-own")),
        JSON.stringify(items),
      ).toBe(true);
    }
    const returned = (await mine.callTool({
      name: "return_credential",
      arguments: { lease_id: theirs.leaseId },
    })) as ToolResult;
    expect(returned.isError).toBe(true);
    expect(await introspect(theirs.token)).toBe(true);
    const extra = (await mine.callTool({
      name: "request_credential",
      arguments: {
        task_id: child,
        agent: agentId("mcp-other"),
        intent: { action: "read", resource: "docs/readme.md" },
      },
    })) as ToolResult;
    expect(extra.isError).toBe(true);
    await mine.close();
  });
});

describe("issuance racing with narrowing and suspension, through the token endpoint", () => {
  async function race(agent: string, taskId: string, change: () => Promise<Response>): Promise<void> {
    const asks = Array.from({ length: 24 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 4)).then(() => exchange(agent, taskId)),
    );
    await new Promise((r) => setTimeout(r, 40));
    const changed = await change();
    expect(changed.status, await changed.clone().text()).toBeLessThan(300);
    const tokens = (await Promise.all(asks)).filter((s) => s.status === 200).map(issued);
    for (const token of tokens) {
      // Issued before the change (and revoked by it) or refused after it: none is usable once it is acknowledged.
      expect(await introspect(token.token), token.leaseId).toBe(false);
    }
    for (const token of tokens) expect(await feedHasWithin(token.leaseId)).toBe(true);
  }

  async function feedHasWithin(jti: string): Promise<boolean> {
    return waitFor(async () => ((await feedHas(jti)) ? true : undefined), {
      timeoutMs: DEAD_WITHIN_MS,
      intervalMs: 50,
      what: `${jti} in the feed`,
    });
  }

  it("no token outside the new ceiling outlives a narrowing", async () => {
    const taskId = await task("race-narrow", { ceiling: [{ action: "read", resource: "docs/*" }] });
    await race("race-narrow", taskId, () =>
      stack.call("PATCH", `/v1/tasks/${taskId}`, orch, {
        ceiling: [{ action: "read", resource: "docs/other/*" }],
      }),
    );
  });

  it("no token of a suspended agent outlives its suspension", async () => {
    const taskId = await task("race-susp");
    await race("race-susp", taskId, () => suspend("race-susp"));
  });
});

describe("the token endpoint's neighbours", () => {
  it("/oauth/introspect and /oauth/revoke count against the caller's rate limit like the token endpoint", async () => {
    // The stack allows LEASH_RATE_LIMIT_BURST (200 by default) at once: a burst well over it must meet 429s.
    const agent = await stack.token(agentId("rl-introspect"));
    for (const path of ["/oauth/introspect", "/oauth/revoke"]) {
      const statuses = await Promise.all(
        Array.from({ length: 400 }, () =>
          form(path, { token: "a.b.c" }, { authorization: `Bearer ${agent}` }),
        ),
      ).then((all) => all.map((r) => r.status));
      expect(statuses.filter((s) => s === 429).length, path).toBeGreaterThan(0);
    }
  });

  it("a DPoP proof is remembered only once its sender has authenticated", async () => {
    const redis = connectRedis(stack.redis, { mode: "worker" });
    try {
      const count = async () => (await redis.keys(`${keyspace(stack.prefix).dpopProof("")}*`)).length;
      const before = await count();
      const { privateKey, publicKey } = await generateKeyPair("ES256");
      const jwk = await exportJWK(publicKey);
      for (let i = 0; i < 20; i++) {
        const proof = await new SignJWT({ htm: "POST", htu: `${stack.api}/oauth/token`, jti: randomUUID() })
          .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
          .setIssuedAt()
          .sign(privateKey);
        const seen = await see(
          await form(
            "/oauth/token",
            {
              grant_type: EXCHANGE,
              subject_token: "not.a.token",
              subject_token_type: JWT_TYPE,
              resource: docs.url,
              scope: "read:docs/readme.md",
            },
            { dpop: proof },
          ),
        );
        refused(seen, 400, "invalid_grant");
      }
      expect(await count()).toBe(before);
    } finally {
      await redis.quit();
    }
  });

  it("/oauth/revocations tells an anonymous reader token ids and expiries, not which resource servers exist", async () => {
    const taskId = await task("feed-reader");
    const resource = "https://internal-billing.example/mcp?tenant=acme";
    const token = issued(await exchange("feed-reader", taskId, { resource }));
    const agent = await stack.token(agentId("feed-reader"));
    expect(
      (await form("/oauth/revoke", { token: token.token }, { authorization: `Bearer ${agent}` })).status,
    ).toBe(200);
    await waitFor(async () => ((await feedHas(token.leaseId)) ? true : undefined), {
      timeoutMs: DEAD_WITHIN_MS,
      intervalMs: 50,
      what: "the token in the feed",
    });
    let after: string | undefined;
    for (;;) {
      const res = await fetch(`${stack.api}/oauth/revocations${after ? `?after=${after}` : ""}`);
      const text = await res.text();
      expect(text).not.toContain("internal-billing");
      const page = JSON.parse(text) as {
        revoked: Record<string, unknown>[];
        cursor: string;
        has_more: boolean;
      };
      for (const entry of page.revoked) expect(Object.keys(entry).sort()).toEqual(["exp", "jti"]);
      if (!page.has_more) break;
      after = page.cursor;
    }
  });

  it("/oauth/revocations answers a cursor beyond any entry as an empty page, never as an outage", async () => {
    for (const after of [
      "99999999999999999999-0",
      "1-99999999999999999999",
      "18446744073709551615-18446744073709551615",
    ]) {
      const seen = await see(await fetch(`${stack.api}/oauth/revocations?after=${after}`));
      expect(seen.status, `${after}: ${seen.body}`).toBeLessThan(500);
      expect(violations(seen, "GET", "/oauth/revocations")).toEqual([]);
    }
  });

  it("every answer under /oauth/ is RFC 6749 JSON, a wrong method or path included", async () => {
    for (const [method, path] of [
      ["GET", "/oauth/token"],
      ["PUT", "/oauth/token"],
      ["POST", "/oauth/token/"],
      ["GET", "/oauth/revoke"],
      ["GET", "/oauth/introspect"],
      ["POST", "/oauth/revocations"],
      ["POST", "/oauth/nothing"],
    ] as const) {
      const seen = await see(await fetch(`${stack.api}${path}`, { method }));
      expect(seen.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(seen.headers.get("content-type"), `${method} ${path}`).toMatch(/^application\/json/);
      expect(violations(seen, method, path), `${method} ${path}`).toEqual([]);
    }
  });
});

describe("one resource, one spelling", () => {
  it.each([
    ["the default port", "https://tools.example:443/mcp"],
    ["an upper-case host", "https://TOOLS.example/mcp"],
    ["a dot segment", "https://tools.example/./mcp"],
    ["a dot-dot segment", "https://tools.example/x/../mcp"],
    ["an encoded dot segment", "https://tools.example/%2e/mcp"],
    ["an encoded unreserved character", "https://tools.example/%6Dcp"],
    ["lower-case percent-encoding", "https://tools.example/a%2fb"],
    ["an empty query", "https://tools.example/mcp?"],
    ["a fully-qualified host's dot", "https://tools.example./mcp"],
    ["an IPv4 address in short form", "http://127.1/mcp"],
    ["an IPv4 address in hex", "http://0x7f.0.0.1/mcp"],
    ["an uncompressed IPv6 address", "https://[0:0:0:0:0:0:0:1]/mcp"],
    ["a path without its slash before a query", "https://tools.example?x=1"],
  ])("refuses %s, which names a resource spelt another way", async (_, resource) => {
    const taskId = await task("spelling");
    refused(await exchange("spelling", taskId, { resource }), 400, "invalid_target");
  });

  it.each([
    ["https://tools.example/mcp"],
    ["https://tools.example"],
    ["https://tools.example/"],
    ["https://tools.example:8443/mcp"],
    ["https://tools.example/mcp?tenant=a"],
    ["https://tools.example/a%2Fb"],
    ["https://[::1]/mcp"],
    ["http://127.0.0.1:8080/mcp"],
  ])("accepts %s", async (resource) => {
    const taskId = await task("spelling-ok");
    issued(await exchange("spelling-ok", taskId, { resource }));
  });
});
