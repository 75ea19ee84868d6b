import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

const A = "spiffe://t/agent/quota-a";
const B = "spiffe://t/agent/quota-b";
const PROBLEM = "urn:leash:problem:quota_exceeded";

let t: TestApp;
let orch: string;
let agentA: string;
let agentB: string;
let security: string;
beforeAll(async () => {
  // 256 requests from one identity at once: the per-identity rate limit must not be what refuses them.
  t = await createTestApp(
    inject("redisUrl"),
    { LEASH_RATE_LIMIT_PER_SECOND: "10000", LEASH_RATE_LIMIT_BURST: "10000" },
    {
      quotas: [
        { id: "a-live", match: { agent: A }, perAgent: false, maxLive: 10 },
        { id: "b-rate", match: { agent: B }, perAgent: false, maxPerMinute: 10 },
        { id: "everyone", match: { agentPrefix: "spiffe://t/agent/" }, perAgent: true, maxLive: 1000 },
        { id: "sts", match: { provider: "aws-sts" }, perAgent: false, maxLive: 1 },
      ],
    },
  );
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agentA = await t.issuer.mint({ sub: A });
  agentB = await t.issuer.mint({ sub: B });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

async function newTask(agent: string, extra: Record<string, unknown> = {}, token = orch) {
  const res = await t.request("POST", "/v1/tasks", token, {
    agent,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
    ...extra,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; quota: unknown; quota_usage: unknown };
}

function ask(token: string, taskId: string, resource = "docs/a", headers: Record<string, string> = {}) {
  return t.request(
    "POST",
    "/v1/leases",
    token,
    { task_id: taskId, provider: "leash-jwt", intent: { action: "read", resource } },
    headers,
  );
}

async function burst(n: number, send: (i: number) => Promise<Response>) {
  const responses = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>));
  return responses.map((r, i) => ({
    status: r.status,
    retryAfter: r.headers.get("retry-after"),
    body: bodies[i],
  }));
}

describe("256 concurrent requests against a limit of 10 yield exactly 10 leases", () => {
  it("max_live: 10 issued, 246 refused with a problem naming the quota, no Retry-After", async () => {
    const task = await newTask(A);
    const out = await burst(256, (i) => ask(agentA, task.id, `docs/${i}`));
    expect(out.filter((o) => o.status === 201)).toHaveLength(10);
    const refused = out.filter((o) => o.status === 429);
    expect(refused).toHaveLength(246);
    expect(refused[0]?.body).toMatchObject({
      type: PROBLEM,
      status: 429,
      quota: "a-live",
      limit: "max_live",
      max: 10,
      detail: "quota a-live allows at most 10 live leases",
    });
    expect(refused.every((o) => o.retryAfter === null)).toBe(true);
    const page = await t.request("GET", `/v1/leases?task_id=${task.id}&limit=500`, security);
    expect(((await page.json()) as { items: unknown[] }).items).toHaveLength(10);
  });

  it("max_per_minute: 10 issued, the rest refused with Retry-After in whole seconds", async () => {
    const task = await newTask(B);
    const out = await burst(256, (i) => ask(agentB, task.id, `docs/${i}`));
    expect(out.filter((o) => o.status === 201)).toHaveLength(10);
    const refused = out.filter((o) => o.status === 429);
    expect(refused).toHaveLength(246);
    expect(refused[0]?.body).toMatchObject({ quota: "b-rate", limit: "max_per_minute", max: 10 });
    for (const { retryAfter } of refused) {
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(59);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    }
  });

  it("a task's max_issued: 10 issued over the task and its sub-task, then 429 naming task:<id>", async () => {
    const c = "spiffe://t/agent/quota-c";
    const agentC = await t.issuer.mint({ sub: c });
    const root = await newTask(c, { quota: { max_issued: 10 } });
    expect(root.quota).toEqual({ max_issued: 10 });
    const sub = await newTask(
      "spiffe://t/agent/quota-d",
      { parent_id: root.id, ttl_seconds: 300, quota: { max_issued: 5 } },
      agentC,
    );
    const agentD = await t.issuer.mint({ sub: "spiffe://t/agent/quota-d" });
    const out = await burst(256, (i) =>
      i % 2 === 0 ? ask(agentC, root.id, `docs/${i}`) : ask(agentD, sub.id, `docs/${i}`),
    );
    expect(out.filter((o) => o.status === 201)).toHaveLength(10);
    // Whichever fills first refuses: the sub-task's own 5, or the root's 10 that covers both.
    const quotas = new Set(out.filter((o) => o.status === 429).map((o) => o.body?.quota));
    expect(quotas.has(`task:${root.id}`)).toBe(true);
    expect([...quotas].every((q) => q === `task:${root.id}` || q === `task:${sub.id}`)).toBe(true);
    const view = await t.request("GET", `/v1/tasks/${root.id}`, orch);
    expect(await view.json()).toMatchObject({
      quota: { max_issued: 10 },
      quota_usage: { live: 10, issued: 10 },
    });
    const subView = (await (await t.request("GET", `/v1/tasks/${sub.id}`, orch)).json()) as {
      quota_usage: { issued: number };
    };
    expect(subView.quota_usage.issued).toBeLessThanOrEqual(5);
  });
});

describe("what counts nothing", () => {
  it("an Idempotency-Key replay is answered 200 with the quota full", async () => {
    const e = "spiffe://t/agent/quota-e";
    const agentE = await t.issuer.mint({ sub: e });
    const task = await newTask(e, { quota: { max_live: 1 } });
    const first = await ask(agentE, task.id, "docs/x", { "idempotency-key": "k1" });
    expect(first.status).toBe(201);
    const replay = await ask(agentE, task.id, "docs/x", { "idempotency-key": "k1" });
    expect(replay.status).toBe(200);
    const other = await ask(agentE, task.id, "docs/y");
    expect(other.status).toBe(429);
    const view = await t.request("GET", `/v1/tasks/${task.id}`, orch);
    expect(await view.json()).toMatchObject({ quota_usage: { live: 1, issued: 1 } });
  });

  it("a refused request (outside the ceiling) counts nothing", async () => {
    const f = "spiffe://t/agent/quota-f";
    const agentF = await t.issuer.mint({ sub: f });
    const task = await newTask(f, { quota: { max_issued: 1 } });
    expect((await ask(agentF, task.id, "secrets/x")).status).toBe(403);
    expect((await ask(agentF, task.id)).status).toBe(201);
  });
});

describe("task quotas at registration", () => {
  it("a sub-task may not set a higher quota than its parent's (400 naming the limit)", async () => {
    const g = "spiffe://t/agent/quota-g";
    const agentG = await t.issuer.mint({ sub: g });
    const root = await newTask(g, { quota: { max_live: 3 } });
    const res = await t.request("POST", "/v1/tasks", agentG, {
      agent: "spiffe://t/agent/quota-h",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 60,
      parent_id: root.id,
      quota: { max_live: 4 },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain("quota.max_live may be at most 3");
  });

  it("refuses an empty or non-positive quota, and shows null quota and usage without one", async () => {
    for (const quota of [{}, { max_live: 0 }, { max_issued: -1 }, { max_live: 1, other: 2 }]) {
      const res = await t.request("POST", "/v1/tasks", orch, {
        agent: A,
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 60,
        quota,
      });
      expect(res.status).toBe(400);
    }
    const plain = await newTask(A);
    expect(plain).toMatchObject({ quota: null, quota_usage: null });
  });
});

describe("exposure and metrics", () => {
  it("exposure lists the quotas that bind the agent with its pool's usage", async () => {
    const res = await t.request("GET", `/v1/agents/${encodeURIComponent(A)}/exposure`, security);
    const body = (await res.json()) as { quotas: unknown[] };
    expect(body.quotas).toEqual([
      {
        id: "a-live",
        match: { agent: A },
        per: null,
        max_live: 10,
        max_per_minute: null,
        usage: { live: 10, per_minute: null },
      },
      {
        id: "everyone",
        match: { agent_prefix: "spiffe://t/agent/" },
        per: "agent",
        max_live: 1000,
        max_per_minute: null,
        usage: { live: 10, per_minute: null },
      },
      {
        id: "sts",
        match: { provider: "aws-sts" },
        per: null,
        max_live: 1,
        max_per_minute: null,
        usage: { live: 0, per_minute: null },
      },
    ]);
  });

  it("metrics give each quota's usage and limit, and refusals by quota and limit", async () => {
    const text = await (await t.request("GET", "/metrics", null)).text();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('leash_quota_usage{quota="a-live",limit="max_live"}')).toBe(10);
    expect(value('leash_quota_limit{quota="a-live",limit="max_live"}')).toBe(10);
    expect(value('leash_quota_usage{quota="b-rate",limit="max_per_minute"}')).toBe(10);
    expect(value('leash_quota_refusals_total{quota="a-live",limit="max_live"}')).toBe(246);
    expect(value('leash_quota_refusals_total{quota="b-rate",limit="max_per_minute"}')).toBe(246);
    expect(value('leash_quota_refusals_total{quota="task",limit="max_issued"}')).toBe(246);
    expect(
      value('leash_issue_requests_total{provider="leash-jwt",outcome="quota_exceeded"}'),
    ).toBeGreaterThan(738);
    // Usage counts the leases over all agents of a per-agent quota; no series names an agent.
    expect(value('leash_quota_usage{quota="everyone",limit="max_live"}')).toBeGreaterThanOrEqual(30);
    expect(text).not.toContain("spiffe:");
  });
});
