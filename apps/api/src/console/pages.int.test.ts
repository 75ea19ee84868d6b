import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient, csrfOf } from "../testing/console-client.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const POLICIES = new URL("../testing/policies", import.meta.url).pathname;
const SECURITY = "spiffe://t/security/sam";
const AGENT = "spiffe://t/agent/pages";

let t: TestApp;
let orch: string;
let agent: string;
let browser: ConsoleClient;
/** Every secret handed out in this file: none may appear on any console page. */
const secrets: string[] = [];

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { LEASH_POLICY_DIR: POLICIES });
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: AGENT });
  const security = await t.issuer.mint({ sub: SECURITY });
  secrets.push(orch, agent, security);
  browser = new ConsoleClient(t);
  expect((await browser.login(security)).status).toBe(303);
});
afterAll(() => t?.close());

async function task(body: Record<string, unknown> = {}, token = orch): Promise<string> {
  const res = await t.request("POST", "/v1/tasks", token, {
    agent: AGENT,
    ceiling: [
      { action: "read", resource: "docs/*" },
      { action: "write", resource: "docs/*" },
    ],
    ttl_seconds: 600,
    ...body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function lease(taskId: string, resource = "docs/a.md"): Promise<string> {
  const res = await t.request("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { lease_id: string; credential: { token: string } };
  secrets.push(body.credential.token);
  return body.lease_id;
}

async function page(path: string): Promise<string> {
  const res = await browser.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

async function leaseState(id: string): Promise<string | undefined> {
  return (await t.ctx.store.leases.get(id))?.state;
}

describe("live leases: filters and counts by provider and state", () => {
  it("lists live leases with counts, filters by task and drops a returned lease", async () => {
    const taskId = await task();
    const [a, b] = [await lease(taskId, "docs/1"), await lease(taskId, "docs/2")];
    const html = await page(`/console?task_id=${taskId}`);
    expect(html).toContain(a);
    expect(html).toContain(b);
    expect(html).toContain("2 live leases");
    expect(html).toMatch(/id="total-live"><strong>2<\/strong>/);
    await t.request("DELETE", `/v1/leases/${a}`, agent);
    expect(await page(`/console?task_id=${taskId}&state=active`)).not.toContain(a);
    expect(await page(`/console?provider=vault&task_id=${taskId}`)).toContain("0 live leases");
    expect((await browser.get("/console?provider=nope")).status).toBe(400);
  });

  it("shows an agent's exposure, a lease and a task", async () => {
    const taskId = await task();
    const id = await lease(taskId);
    expect(await page(`/console/agent?agent=${encodeURIComponent(AGENT)}`)).toContain(id);
    const detail = await page(`/console/leases/${id}`);
    expect(detail).toContain("read:docs/a.md");
    expect(detail).toContain(taskId);
    expect(await page(`/console/tasks/${taskId}`)).toContain("active: 1");
    expect((await browser.get("/console/leases/ls_unknown")).status).toBe(404);
  });
});

describe("revocation from the console: confirmed with the count, then the same core path as the API", () => {
  it("revokes one lease after a confirmation saying it hits 1 live lease; audited with the person as actor", async () => {
    const id = await lease(await task());
    const confirm = await page(`/console/revoke?kind=lease&id=${id}`);
    expect(confirm).toContain("This will hit 1 live lease");
    expect(await leaseState(id)).toBe("active"); // the GET only asks
    const res = await browser.post("/console/revoke", { kind: "lease", id, csrf: csrfOf(confirm) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/console/leases/${id}`);
    expect(await leaseState(id)).toBe("revoking");
    const events = await t.ctx.audit.tail(50);
    // A revocation by a person of the security team, never recorded as if the agent had returned the lease.
    expect(events.find((e) => e.leaseId === id && e.type === "lease.returned")).toBeUndefined();
    expect(events.find((e) => e.type === "lease.revocation_ordered" && e.leaseId === id)).toMatchObject({
      actor: SECURITY,
      cause: "security",
    });
    expect((await t.ctx.store.leases.get(id))?.revokeReason).toBe("security");
    // Until the provider confirms (no worker runs here), the credential may still work: it still counts.
    expect(await page(`/console/revoke?kind=lease&id=${id}`)).toContain("This will hit 1 live lease");
    await t.ctx.store.leases.markRevoked(id, Date.now());
    await t.ctx.audit.drain();
    const receipts = (await t.ctx.audit.tail(50)).filter(
      (e) => e.leaseId === id && e.type === "lease.revoked",
    );
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ cause: "security", actor: SECURITY });
    const ended = await page(`/console/revoke?kind=lease&id=${id}`);
    expect(ended).toContain("nothing to revoke");
    expect(ended).not.toContain('action="/console/revoke"');
  });

  it("refuses a POST without the session's CSRF token, or from another site", async () => {
    const id = await lease(await task());
    const csrf = csrfOf(await page("/console"));
    for (const [form, headers] of [
      [{ kind: "lease", id }, {}],
      [{ kind: "lease", id, csrf: `${csrf.slice(0, -2)}xx` }, {}],
      [{ kind: "lease", id, csrf }, { "sec-fetch-site": "cross-site" }],
    ] as const) {
      const res = await browser.post("/console/revoke", form, headers);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("forbidden");
    }
    expect(await leaseState(id)).toBe("active");
    const other = new ConsoleClient(t);
    await other.login(await t.issuer.mint({ sub: "spiffe://t/security/other" }));
    // One person's token does not work in another's session.
    expect((await other.post("/console/revoke", { kind: "lease", id, csrf })).status).toBe(403);
    expect(await leaseState(id)).toBe("active");
  });

  it("cancels a task, counting the leases of its sub-tasks in the confirmation", async () => {
    const parent = await task();
    await lease(parent, "docs/p1");
    await lease(parent, "docs/p2");
    const child = await task({ parent_id: parent, ttl_seconds: 300 });
    const childLease = await lease(child, "docs/c1");
    const confirm = await page(`/console/revoke?kind=task&id=${parent}`);
    expect(confirm).toContain("This will hit 3 live leases (leash-jwt: 3)");
    const res = await browser.post("/console/revoke", { kind: "task", id: parent, csrf: csrfOf(confirm) });
    expect(res.headers.get("location")).toBe(`/console/tasks/${parent}`);
    expect(await page(`/console/tasks/${parent}`)).toContain("cancelled");
    // Task tokens die in the store: the task's end settles them at once, the sub-task's included.
    expect(await leaseState(childLease)).toBe("revoked");
    const events = await t.ctx.audit.tail(50);
    expect(events.find((e) => e.type === "task.cancelled" && e.taskId === parent)?.actor).toBe(SECURITY);
  });

  it("revokes every live lease of an agent with a campaign, and shows its progress", async () => {
    const other = "spiffe://t/agent/campaigned";
    const taskId = await task({ agent: other });
    const token = await t.issuer.mint({ sub: other });
    for (const resource of ["docs/x", "docs/y"]) {
      const res = await t.request("POST", "/v1/leases", token, {
        task_id: taskId,
        provider: "leash-jwt",
        intent: { action: "read", resource },
      });
      secrets.push(((await res.json()) as { credential: { token: string } }).credential.token);
    }
    const confirm = await page(`/console/revoke?kind=agent&id=${encodeURIComponent(other)}`);
    expect(confirm).toContain("This will hit 2 live leases");
    const res = await browser.post("/console/revoke", {
      kind: "agent",
      id: other,
      reason: "suspected prompt injection",
      csrf: csrfOf(confirm),
    });
    const location = res.headers.get("location") ?? "";
    expect(location).toMatch(/^\/console\/campaigns\/rv_/);
    const progressPage = await page(location);
    expect(progressPage).toContain("suspected prompt injection");
    expect(progressPage).toMatch(/<script nonce="[^"]+">/);
    const progress = (await (await browser.get(`${location}/progress`)).json()) as { matched: number };
    expect(progress.matched).toBe(2);
    const events = await t.ctx.audit.tail(50);
    expect(events.find((e) => e.type === "revocation.ordered")?.actor).toBe(SECURITY);
  });
});

describe("approvals and audit", () => {
  it("approves a pending step-up request with the person recorded as the decider", async () => {
    const taskId = await task();
    const ask = await t.request("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "leash-jwt",
      intent: { action: "write", resource: "docs/w" },
    });
    expect(ask.status).toBe(202);
    const { approval_id } = (await ask.json()) as { approval_id: string };
    const html = await page("/console/approvals");
    expect(html).toContain(approval_id);
    const res = await browser.post(`/console/approvals/${approval_id}/approve`, { csrf: csrfOf(html) });
    expect(res.status).toBe(303);
    const approval = await t.ctx.store.approvals.get(approval_id);
    expect(approval?.state).toBe("approved");
    expect(approval?.decidedBy).toBe(SECURITY);
    const again = await browser.post(`/console/approvals/${approval_id}/deny`, { csrf: csrfOf(html) });
    expect(again.status).toBe(409);
  });

  it("shows the audit tail, newest first, filterable by type", async () => {
    const id = await lease(await task());
    const html = await page("/console/audit?type=lease.issued");
    expect(html).toContain(id);
    expect(html).not.toContain("task.registered");
  });
});

describe("no secret reaches a page", () => {
  it("renders no credential or identity token on any page after issuing leases", async () => {
    const taskId = await task();
    const id = await lease(taskId);
    const paths = [
      "/console",
      `/console?task_id=${taskId}`,
      `/console/agent?agent=${encodeURIComponent(AGENT)}`,
      `/console/leases/${id}`,
      `/console/tasks/${taskId}`,
      `/console/revoke?kind=lease&id=${id}`,
      `/console/revoke?kind=task&id=${taskId}`,
      `/console/revoke?kind=agent&id=${encodeURIComponent(AGENT)}`,
      "/console/approvals",
      "/console/audit",
    ];
    expect(secrets.length).toBeGreaterThan(5);
    for (const path of paths) {
      const html = await page(path);
      for (const secret of secrets) expect(html.includes(secret), `${path} shows a secret`).toBe(false);
      // Any JWT-shaped string at all would be a leak.
      expect(html, path).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
    }
  });
});
