import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/**
 * PATCH /v1/tasks/{id} and POST/DELETE /v1/agents/{agent}/suspend, every status the contract names, on the real
 * app and wiring against Redis.
 */
let t: TestApp;
const tokens = new Map<string, string>();
const ORCH = "spiffe://t/orchestrator";
const SECURITY = "spiffe://t/security/sam";
const DUAL = "spiffe://t/dual/dee";
const NOBODY = "spiffe://t/nobody";
let n = 0;
const agent = (name: string) => `spiffe://t/agent/${name}-${++n}`;

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t?.close());

async function token(sub: string) {
  let found = tokens.get(sub);
  if (!found) {
    found = await t.issuer.mint({ sub });
    tokens.set(sub, found);
  }
  return found;
}

async function call(sub: string, method: string, path: string, body?: unknown) {
  const res = await t.request(method, path, await token(sub), body);
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown> & { type?: string },
  };
}

const WIDE = [
  { action: "read", resource: "docs/*" },
  { action: "write", resource: "docs/*" },
];
const READ = [{ action: "read", resource: "docs/*" }];

async function rootTask(owner: string, ceiling: unknown[] = WIDE) {
  const res = await call(ORCH, "POST", "/v1/tasks", { agent: owner, ceiling, ttl_seconds: 600 });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return String(res.body.id);
}

async function subTask(from: string, parentId: string, to: string, ttlSeconds = 300) {
  const res = await call(from, "POST", "/v1/tasks", {
    agent: to,
    parent_id: parentId,
    ceiling: WIDE,
    ttl_seconds: ttlSeconds,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return String(res.body.id);
}

async function issue(owner: string, taskId: string, action = "read", resource = "docs/a.md") {
  return call(owner, "POST", "/v1/leases", {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action, resource },
  });
}

async function issued(owner: string, taskId: string, action = "read") {
  const res = await issue(owner, taskId, action);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: String(res.body.lease_id), token: String((res.body.credential as { token: string }).token) };
}

async function introspect(jwt: string) {
  return (await call(ORCH, "POST", "/v1/introspect", { token: jwt })).body.active;
}

const leaseOf = async (id: string) => (await call(SECURITY, "GET", `/v1/leases/${id}`)).body;
const enc = encodeURIComponent;

describe("PATCH /v1/tasks/{id}", () => {
  it("200: narrows, revokes the tree's leases outside the new ceiling at once, and shows the effective ceiling", async () => {
    const parent = agent("p");
    const child = agent("c");
    const root = await rootTask(parent);
    const sub = await subTask(parent, root, child);
    const rootWrite = await issued(parent, root, "write");
    const rootRead = await issued(parent, root, "read");
    const subWrite = await issued(child, sub, "write");
    const res = await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling: READ });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: root, ceiling: READ, effective_ceiling: READ, revoking: 2 });
    // Task tokens die with the order: introspection answers inactive from the acknowledgement on.
    expect(await introspect(rootWrite.token)).toBe(false);
    expect(await introspect(subWrite.token)).toBe(false);
    expect(await introspect(rootRead.token)).toBe(true);
    expect((await leaseOf(rootWrite.id)).revoke_reason).toBe("ceiling_narrowed");
    // The sub-task keeps its own ceiling, but what it may use is narrowed with its parent.
    const view = await call(child, "GET", `/v1/tasks/${sub}`);
    expect(view.body).toMatchObject({ ceiling: WIDE, effective_ceiling: READ });
    const refused = await issue(child, sub, "write");
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe("urn:leash:problem:ceiling_exceeded");
    expect((await issue(child, sub, "read")).status).toBe(201);
    // An equal ceiling is accepted and revokes nothing.
    const again = await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling: READ });
    expect(again).toMatchObject({ status: 200, body: { revoking: 0 } });
  });

  it("403 ceiling_exceeded for a wider ceiling, a return to an earlier one included", async () => {
    const root = await rootTask(agent("w"));
    expect((await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling: READ })).status).toBe(200);
    for (const ceiling of [WIDE, [{ action: "read", resource: "*" }]]) {
      const res = await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling });
      expect(res.status).toBe(403);
      expect(res.body.type).toBe("urn:leash:problem:ceiling_exceeded");
    }
  });

  it("the parent task's agent may narrow its direct sub-task; another agent gets 404 as for an unknown task", async () => {
    const parent = agent("p");
    const child = agent("c");
    const grandchild = agent("g");
    const root = await rootTask(parent);
    const sub = await subTask(parent, root, child);
    const subSub = await subTask(child, sub, grandchild, 200);
    expect((await call(parent, "PATCH", `/v1/tasks/${sub}`, { ceiling: WIDE })).status).toBe(200);
    const unknown = await call(parent, "PATCH", "/v1/tasks/tk_nope", { ceiling: READ });
    expect(unknown.status).toBe(404);
    for (const [who, id] of [
      [parent, subSub],
      [child, sub],
      [agent("x"), root],
    ] as const) {
      const res = await call(who, "PATCH", `/v1/tasks/${id}`, { ceiling: READ });
      expect(res.status).toBe(404);
      expect({ type: res.body.type, title: res.body.title }).toEqual({
        type: unknown.body.type,
        title: unknown.body.title,
      });
    }
  });

  it("403 forbidden for any other caller", async () => {
    const root = await rootTask(agent("f"));
    for (const who of [SECURITY, NOBODY]) {
      const res = await call(who, "PATCH", `/v1/tasks/${root}`, { ceiling: READ });
      expect(res.status).toBe(403);
      expect(res.body.type).toBe("urn:leash:problem:forbidden");
    }
  });

  it("409 task_not_active for an ended task; 400 for a malformed ceiling", async () => {
    const root = await rootTask(agent("e"));
    expect((await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling: [] })).status).toBe(400);
    expect((await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling: READ, extra: 1 })).status).toBe(400);
    await call(ORCH, "POST", `/v1/tasks/${root}/complete`);
    const res = await call(ORCH, "PATCH", `/v1/tasks/${root}`, { ceiling: READ });
    expect(res.status).toBe(409);
    expect(res.body.type).toBe("urn:leash:problem:task_not_active");
  });
});

describe("POST and DELETE /v1/agents/{agent}/suspend", () => {
  it("202: revokes the agent's and its delegates' leases, and refuses every request of the identity", async () => {
    const suspect = agent("s");
    const delegate = agent("d");
    const bystander = agent("b");
    const own = await rootTask(suspect);
    const sub = await subTask(suspect, own, delegate);
    const other = await rootTask(bystander);
    const ownLease = await issued(suspect, own);
    const subLease = await issued(delegate, sub);
    const otherLease = await issued(bystander, other);
    const res = await call(SECURITY, "POST", `/v1/agents/${enc(suspect)}/suspend`, {
      reason: "exfiltration",
    });
    expect(res).toEqual({ status: 202, body: { agent: suspect, suspended: true, revoking: 2 } });
    expect(await introspect(ownLease.token)).toBe(false);
    expect(await introspect(subLease.token)).toBe(false);
    expect(await introspect(otherLease.token)).toBe(true);
    expect((await leaseOf(subLease.id)).revoke_reason).toBe("agent_suspended");
    for (const [method, path, body] of [
      ["GET", `/v1/tasks/${own}`, undefined],
      [
        "POST",
        "/v1/leases",
        { task_id: own, provider: "leash-jwt", intent: { action: "read", resource: "docs/a" } },
      ],
      ["POST", "/v1/introspect", { token: otherLease.token }],
      ["GET", "/v1/leases/ls_x", undefined],
    ] as const) {
      const refused = await call(suspect, method, path, body);
      expect(refused.status, path).toBe(403);
      expect(refused.body.type).toBe("urn:leash:problem:agent_suspended");
    }
    // Nothing is issued under a task descending from the suspended identity's; tasks keep their states.
    const delegated = await issue(delegate, sub);
    expect(delegated.status).toBe(403);
    expect(delegated.body.type).toBe("urn:leash:problem:agent_suspended");
    expect((await call(ORCH, "GET", `/v1/tasks/${own}`)).body.state).toBe("active");
    expect((await issue(bystander, other)).status).toBe(201);
  });

  it("a suspension another API process acknowledged: issuance refused at once, under tasks registered before and after it, every request within 1 s", async () => {
    const suspect = agent("elsewhere");
    const delegate = agent("elsewhere-d");
    const before = await rootTask(suspect);
    const sub = await subTask(suspect, before, delegate);
    // Another process's write: this process's view learns of it only by its feed.
    await t.ctx.store.suspensions.suspend(
      { agent: suspect, reason: "elsewhere", until: null, by: SECURITY, at: Date.now() },
      true,
    );
    // Registered after it (by the orchestrator, whom nothing refuses), then asked for at once.
    const after = await rootTask(suspect);
    const subAfter = await subTask(ORCH, after, delegate);
    for (const [who, taskId] of [
      [suspect, before],
      [suspect, after],
      [delegate, sub],
      [delegate, subAfter],
    ] as const) {
      const refused = await issue(who, taskId);
      expect(refused.status, taskId).toBe(403);
      expect(refused.body.type).toBe("urn:leash:problem:agent_suspended");
    }
    const started = Date.now();
    for (;;) {
      if ((await call(suspect, "GET", `/v1/tasks/${before}`)).status === 403) break;
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it("403 agent_suspended whatever the identity's roles, a security identity's included", async () => {
    const res = await call(SECURITY, "POST", `/v1/agents/${enc(DUAL)}/suspend`, { reason: "lost laptop" });
    expect(res.status).toBe(202);
    const refused = await call(DUAL, "GET", "/v1/audit?limit=1");
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe("urn:leash:problem:agent_suspended");
    expect((await call(SECURITY, "DELETE", `/v1/agents/${enc(DUAL)}/suspend`)).status).toBe(200);
    expect((await call(DUAL, "GET", "/v1/audit?limit=1")).status).toBe(200);
  });

  it("exposure shows the suspension; DELETE lifts it (200, also when not suspended) and restores nothing", async () => {
    const suspect = agent("l");
    const own = await rootTask(suspect);
    const lease = await issued(suspect, own);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await call(SECURITY, "POST", `/v1/agents/${enc(suspect)}/suspend`, { reason: "r1", until });
    const exposure = await call(SECURITY, "GET", `/v1/agents/${enc(suspect)}/exposure`);
    expect(exposure.body.suspended).toMatchObject({ reason: "r1", until, by: SECURITY });
    // Suspending again replaces reason and until.
    const again = await call(SECURITY, "POST", `/v1/agents/${enc(suspect)}/suspend`, { reason: "r2" });
    expect(again).toEqual({ status: 202, body: { agent: suspect, suspended: true, revoking: 0 } });
    expect((await call(SECURITY, "GET", `/v1/agents/${enc(suspect)}/exposure`)).body.suspended).toMatchObject(
      {
        reason: "r2",
        until: null,
      },
    );
    const lifted = await call(SECURITY, "DELETE", `/v1/agents/${enc(suspect)}/suspend`);
    expect(lifted).toEqual({ status: 200, body: { agent: suspect, suspended: false } });
    expect(await call(SECURITY, "DELETE", `/v1/agents/${enc(suspect)}/suspend`)).toEqual(lifted);
    expect((await call(SECURITY, "GET", `/v1/agents/${enc(suspect)}/exposure`)).body.suspended).toBeNull();
    expect(await introspect(lease.token)).toBe(false);
    expect((await issue(suspect, own)).status).toBe(201);
    const events: { type: string; agent?: string }[] = [];
    for (let since = ""; ; ) {
      const page = (await call(SECURITY, "GET", `/v1/audit?limit=1000${since && `&since=${enc(since)}`}`))
        .body;
      events.push(...(page.items as { type: string; agent?: string }[]));
      if (!page.next_cursor) break;
      since = String(page.next_cursor);
    }
    const mine = events.filter((e) => e.agent === suspect).map((e) => e.type);
    expect(mine.filter((type) => type === "agent.suspended")).toHaveLength(2);
    expect(mine.filter((type) => type === "agent.unsuspended")).toHaveLength(1);
  });

  it("include_delegated false spares the delegates' leases", async () => {
    const suspect = agent("i");
    const delegate = agent("j");
    const own = await rootTask(suspect);
    const sub = await subTask(suspect, own, delegate);
    const subLease = await issued(delegate, sub);
    const res = await call(SECURITY, "POST", `/v1/agents/${enc(suspect)}/suspend`, {
      reason: "r",
      include_delegated: false,
    });
    expect(res.body.revoking).toBe(0);
    expect(await introspect(subLease.token)).toBe(true);
  });

  it("403 forbidden without the security role; 400 for an until in the past or no reason", async () => {
    const target = agent("t");
    const forbidden = await call(ORCH, "POST", `/v1/agents/${enc(target)}/suspend`, { reason: "r" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.type).toBe("urn:leash:problem:forbidden");
    expect((await call(ORCH, "DELETE", `/v1/agents/${enc(target)}/suspend`)).status).toBe(403);
    const past = await call(SECURITY, "POST", `/v1/agents/${enc(target)}/suspend`, {
      reason: "r",
      until: new Date(Date.now() - 1000).toISOString(),
    });
    expect(past.status).toBe(400);
    expect((await call(SECURITY, "POST", `/v1/agents/${enc(target)}/suspend`, {})).status).toBe(400);
  });
});
