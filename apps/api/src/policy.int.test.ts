import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@leash/devstack";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

const POLICIES = new URL("./testing/policies", import.meta.url).pathname;
let t: TestApp;
let orch: string;
let agent: string;
let dual: string;
let security: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {
    LEASH_POLICY_DIR: POLICIES,
    LEASH_APPROVAL_TTL_SECONDS: "2",
    LEASH_MAX_DELEGATION_DEPTH: "2",
  });
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/a" });
  dual = await t.issuer.mint({ sub: "spiffe://t/dual/d" });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

async function task(
  forAgent = "spiffe://t/agent/a",
  ceiling: unknown[] = [
    { action: "read", resource: "docs/*" },
    { action: "write", resource: "docs/*" },
  ],
) {
  const res = await t.request("POST", "/v1/tasks", orch, { agent: forAgent, ceiling, ttl_seconds: 600 });
  return ((await res.json()) as { id: string }).id;
}
const ask = (
  token: string,
  taskId: string,
  intent: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => t.request("POST", "/v1/leases", token, { task_id: taskId, provider: "leash-jwt", intent, ...extra });

describe("Cedar decides every request, in addition to the ceiling", () => {
  it("a permit's @max_ttl caps the lease; a forbid denies with its @id as the reason", async () => {
    const id = await task();
    const ok = await ask(agent, id, { action: "read", resource: "docs/a" }, { ttl_seconds: 600 });
    const lease = (await ok.json()) as { issued_at: string; expires_at: string };
    expect(Date.parse(lease.expires_at) - Date.parse(lease.issued_at)).toBe(120_000);
    const denied = await ask(agent, id, { action: "read", resource: "docs/a", destination: "pastebin" });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({
      type: "urn:leash:problem:policy_denied",
      reasons: ["no-exports"],
    });
  });

  it("an invalid policy set at start refuses to start, naming the file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leash-bad-policy-"));
    cpSync(POLICIES, dir, { recursive: true });
    writeFileSync(
      join(dir, "broken.cedar"),
      '@id("broken")\npermit (principal, action == Leash::Action::"read", resource)\nwhen { resource.no_such_attribute == 1 };\n',
    );
    await expect(createTestApp(inject("redisUrl"), { LEASH_POLICY_DIR: dir })).rejects.toThrow(
      /broken\.cedar:\d+/,
    );
  });
});

describe("audit of policy decisions", () => {
  it("every decision records the verdict, its obligations and the exact request, so it can be replayed", async () => {
    const id = await task();
    await ask(agent, id, { action: "read", resource: "docs/audited" }, { ttl_seconds: 600 });
    await ask(agent, id, { action: "read", resource: "docs/x", destination: "pastebin" });
    await ask(agent, id, { action: "write", resource: "docs/audited" });
    await ask(agent, id, { action: "read", resource: "outside/ceiling" });
    const events = (await (await t.request("GET", "/v1/audit?limit=1000", security)).json()) as {
      items: { type: string; task_id?: string; detail?: Record<string, unknown> }[];
    };
    const mine = events.items.filter((e) => e.task_id === id);
    const details = Object.fromEntries(
      mine.map((e) => [`${e.type} ${JSON.stringify(e.detail?.intent)}`, e.detail]),
    );
    const request = (resource: string, extra: Record<string, unknown> = {}) => ({
      agent: { id: "spiffe://t/agent/a", trust_domain: "t", path: "/agent/a", labels: {} },
      intent: { action: "read", resource, ...extra },
      task: {
        id,
        labels: {},
        depth: 0,
        chain: [],
        break_glass: false,
        remaining_seconds: expect.any(Number),
      },
      provider: "leash-jwt",
      target: null,
      environment: "production",
      now: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      exposure: { live_leases: expect.any(Number) },
    });
    expect(
      details[`lease.issued ${JSON.stringify({ action: "read", resource: "docs/audited" })}`],
    ).toMatchObject({
      decision: "allow",
      obligations: { max_ttl_seconds: 120, approval_required: false },
      policy_request: { ...request("docs/audited"), ttl_seconds: 600 },
    });
    expect(
      details[
        `lease.denied ${JSON.stringify({ action: "read", resource: "docs/x", destination: "pastebin" })}`
      ],
    ).toMatchObject({
      decision: "deny",
      reasons: ["no-exports"],
      policy_request: request("docs/x", { destination: "pastebin" }),
    });
    expect(
      details[`approval.requested ${JSON.stringify({ action: "write", resource: "docs/audited" })}`],
    ).toMatchObject({
      decision: "allow",
      obligations: { approval_required: true },
      policy_request: { intent: { action: "write", resource: "docs/audited" } },
    });
    // The ceiling decided this one before any policy was asked: there is no policy request to replay.
    const ceiling =
      details[`lease.denied ${JSON.stringify({ action: "read", resource: "outside/ceiling" })}`];
    expect(ceiling).toBeDefined();
    expect(ceiling).not.toHaveProperty("policy_request");
  });
});

describe("step-up approval", () => {
  it("a write needs a person: 202, the same approval on retry, then the lease once approved", async () => {
    const id = await task();
    const first = await ask(agent, id, { action: "write", resource: "docs/w" });
    expect(first.status).toBe(202);
    const { approval_id } = (await first.json()) as { approval_id: string; state: string };
    const again = await ask(agent, id, { action: "write", resource: "docs/w" });
    expect(((await again.json()) as { approval_id: string }).approval_id).toBe(approval_id);
    const pending = (await (await t.request("GET", "/v1/approvals?state=pending", security)).json()) as {
      items: { id: string }[];
    };
    expect(pending.items.map((a) => a.id)).toContain(approval_id);
    expect((await t.request("POST", `/v1/approvals/${approval_id}/approve`, agent)).status).toBe(403);
    expect((await t.request("POST", `/v1/approvals/${approval_id}/approve`, security)).status).toBe(200);
    const issued = await t.request("POST", `/v1/approvals/${approval_id}/redeem`, agent);
    expect(issued.status).toBe(201);
    expect((await t.request("POST", `/v1/approvals/${approval_id}/approve`, security)).status).toBe(409);
  });

  it("nobody approves their own request; a denial is final", async () => {
    const id = await task("spiffe://t/dual/d");
    const res = await ask(dual, id, { action: "write", resource: "docs/self" });
    const { approval_id } = (await res.json()) as { approval_id: string };
    const self = await t.request("POST", `/v1/approvals/${approval_id}/approve`, dual);
    expect(self.status).toBe(403);
    expect((await t.request("POST", `/v1/approvals/${approval_id}/deny`, security)).status).toBe(200);
    const retry = await ask(dual, id, { action: "write", resource: "docs/self" });
    expect(retry.status).toBe(403);
    expect(((await retry.json()) as { type: string }).type).toBe("urn:leash:problem:policy_denied");
  });

  it("an approval expires after the configured time", async () => {
    const id = await task();
    const res = await ask(agent, id, { action: "write", resource: "docs/late" });
    const { approval_id } = (await res.json()) as { approval_id: string };
    await waitFor(
      async () => {
        const list = (await (await t.request("GET", "/v1/approvals?state=expired", security)).json()) as {
          items: { id: string }[];
        };
        return list.items.some((a) => a.id === approval_id) ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: "the approval to expire" },
    );
    expect((await t.request("POST", `/v1/approvals/${approval_id}/approve`, security)).status).toBe(409);
  });
});

describe("break-glass", () => {
  it("widens a task's ceiling until it expires; leases under it are marked and audited as warnings", async () => {
    const id = await task("spiffe://t/agent/a", [{ action: "read", resource: "docs/*" }]);
    expect((await ask(agent, id, { action: "read", resource: "incident/log" })).status).toBe(403);
    const open = await t.request("POST", "/v1/break-glass", security, {
      task_id: id,
      justification: "incident 42: read the logs",
      ttl_seconds: 2,
      ceiling: [{ action: "read", resource: "incident/*" }],
    });
    expect(open.status).toBe(201);
    const res = await ask(agent, id, { action: "read", resource: "incident/log" });
    expect(res.status).toBe(201);
    const { lease_id } = (await res.json()) as { lease_id: string };
    expect(
      (
        (await (await t.request("GET", `/v1/leases/${lease_id}`, security)).json()) as {
          break_glass: boolean;
        }
      ).break_glass,
    ).toBe(true);
    const audit = (await (
      await t.request("GET", "/v1/audit?type=lease.issued&limit=1000", security)
    ).json()) as { items: { lease_id?: string; outcome: string }[] };
    expect(audit.items.find((e) => e.lease_id === lease_id)?.outcome).toBe("warning");
    await waitFor(
      async () =>
        (await ask(agent, id, { action: "read", resource: "incident/log2" })).status === 403
          ? true
          : undefined,
      { timeoutMs: 5_000, intervalMs: 200, what: "break-glass to expire" },
    );
    expect(
      (
        await t.request("POST", "/v1/break-glass", security, {
          task_id: id,
          justification: "too long",
          ttl_seconds: 100_000,
          ceiling: [{ action: "read", resource: "x" }],
        })
      ).status,
    ).toBe(400);
  });
});

describe("delegation", () => {
  it("a sub-task may narrow but never widen its parent, within the depth limit, and its tokens carry the act chain", async () => {
    const root = await task("spiffe://t/agent/a", [{ action: "read", resource: "docs/*" }]);
    const wider = await t.request("POST", "/v1/tasks", agent, {
      agent: "spiffe://t/agent/b",
      parent_id: root,
      ceiling: [{ action: "read", resource: "*" }],
      ttl_seconds: 60,
    });
    expect(wider.status).toBe(403);
    const child = await t.request("POST", "/v1/tasks", agent, {
      agent: "spiffe://t/agent/b",
      parent_id: root,
      ceiling: [{ action: "read", resource: "docs/public/*" }],
      ttl_seconds: 60,
    });
    expect(child.status).toBe(201);
    const childId = ((await child.json()) as { id: string }).id;
    const b = await t.issuer.mint({ sub: "spiffe://t/agent/b" });
    const grand = await t.request("POST", "/v1/tasks", b, {
      agent: "spiffe://t/agent/c",
      parent_id: childId,
      ceiling: [{ action: "read", resource: "docs/public/x/*" }],
      ttl_seconds: 30,
    });
    expect(grand.status).toBe(201);
    const grandId = ((await grand.json()) as { id: string }).id;
    const c = await t.issuer.mint({ sub: "spiffe://t/agent/c" });
    const tooDeep = await t.request("POST", "/v1/tasks", c, {
      agent: "spiffe://t/agent/d",
      parent_id: grandId,
      ceiling: [{ action: "read", resource: "docs/public/x/y" }],
      ttl_seconds: 10,
    });
    expect(tooDeep.status).toBe(403);
    const lease = await ask(c, grandId, { action: "read", resource: "docs/public/x/1" });
    const { credential, lease_id } = (await lease.json()) as {
      lease_id: string;
      credential: { token: string };
    };
    expect(decodeJwt(credential.token).act).toEqual({
      sub: "spiffe://t/agent/b",
      act: { sub: "spiffe://t/agent/a" },
    });
    await t.request("POST", `/v1/tasks/${root}/complete`, orch);
    const after = (await (await t.request("GET", `/v1/leases/${lease_id}`, security)).json()) as {
      state: string;
    };
    // A task token dies in the store: the task's end settled it at once.
    expect(after.state).toBe("revoked");
    const intro = await t.request("POST", "/v1/introspect", c, `token=${credential.token}`, {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(await intro.json()).toEqual({ active: false });
  });
});
