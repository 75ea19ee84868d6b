import { randomUUID } from "node:crypto";
import { activationFixture, leaseFixture, taskFixture } from "@leash/store/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

let t: TestApp;
let orch: string;
let security: string;
const tokens = new Map<string, string>();
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

interface LeaseBody {
  lease_id: string;
  agent: string;
  state: string;
  issued_at: string;
  expires_at: string;
  revoke_reason: string | null;
  break_glass: boolean;
  delegated?: boolean;
  chain?: string[];
}

async function tokenOf(agent: string) {
  let token = tokens.get(agent);
  if (!token) {
    token = await t.issuer.mint({ sub: agent });
    tokens.set(agent, token);
  }
  return token;
}

async function rootTask(agent: string, ceiling: unknown[] = [{ action: "read", resource: "docs/*" }]) {
  const res = await t.request("POST", "/v1/tasks", orch, { agent, ceiling, ttl_seconds: 600 });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** `from` (the agent of `parentId`) delegates a sub-task to `agent`. */
async function subTask(from: string, parentId: string, agent: string, resource: string, ttlSeconds: number) {
  const res = await t.request("POST", "/v1/tasks", await tokenOf(from), {
    agent,
    parent_id: parentId,
    ceiling: [{ action: "read", resource }],
    ttl_seconds: ttlSeconds,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function issue(agent: string, taskId: string, resource: string, extra: Record<string, unknown> = {}) {
  const res = await t.request("POST", "/v1/leases", await tokenOf(agent), {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource },
    ...extra,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as LeaseBody;
}

async function leaseState(id: string) {
  return (await (await t.request("GET", `/v1/leases/${id}`, security)).json()) as LeaseBody;
}

const exposurePath = (agent: string, query = "") =>
  `/v1/agents/${encodeURIComponent(agent)}/exposure${query}`;

async function exposure(agent: string, query = "") {
  const res = await t.request("GET", exposurePath(agent, query), security);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as {
    count: number;
    delegated_count: number;
    by_provider: Record<string, number>;
    live: LeaseBody[];
  };
}

describe("break-glass access ends when the grant ends", () => {
  async function openGrant(taskId: string, ttlSeconds: number) {
    const res = await t.request("POST", "/v1/break-glass", security, {
      task_id: taskId,
      justification: "incident 7: read the logs",
      ttl_seconds: ttlSeconds,
      ceiling: [{ action: "read", resource: "incident/*" }],
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; expires_at: string };
  }

  it("a lease that needed the grant ends no later than the grant; one the ceiling covers keeps its TTL", async () => {
    const agent = "spiffe://t/agent/bg-cap";
    const taskId = await rootTask(agent);
    const grant = await openGrant(taskId, 4);
    const under = await issue(agent, taskId, "incident/log", { ttl_seconds: 120 });
    expect((await leaseState(under.lease_id)).break_glass).toBe(true);
    expect(Date.parse(under.expires_at)).toBeLessThanOrEqual(Date.parse(grant.expires_at));
    expect(Date.parse(under.expires_at) - Date.parse(under.issued_at)).toBeLessThanOrEqual(4_000);
    const normal = await issue(agent, taskId, "docs/a", { ttl_seconds: 120 });
    expect((await leaseState(normal.lease_id)).break_glass).toBe(false);
    expect(Date.parse(normal.expires_at) - Date.parse(normal.issued_at)).toBe(120_000);
  });

  it("closing a grant early revokes the leases issued under it (cause break_glass_ended), and only those", async () => {
    const agent = "spiffe://t/agent/bg-close";
    const taskId = await rootTask(agent);
    const grant = await openGrant(taskId, 300);
    const under = await issue(agent, taskId, "incident/log", { ttl_seconds: 120 });
    const normal = await issue(agent, taskId, "docs/a");
    const path = `/v1/break-glass/${grant.id}`;

    expect((await t.request("DELETE", path, await tokenOf(agent))).status).toBe(403);
    expect((await t.request("DELETE", "/v1/break-glass/bg_nope", security)).status).toBe(404);

    const closed = await t.request("DELETE", path, security);
    expect(closed.status, await closed.clone().text()).toBe(202);
    const body = (await closed.json()) as { id: string; state: string; closed_by: string; revoking: number };
    expect(body).toMatchObject({
      id: grant.id,
      state: "closed",
      closed_by: "spiffe://t/security/sam",
      revoking: 1,
    });
    expect(await leaseState(under.lease_id)).toMatchObject({
      state: "revoking",
      revoke_reason: "break_glass_ended",
    });
    expect((await leaseState(normal.lease_id)).state).toBe("active");
    const after = await t.request("POST", "/v1/leases", await tokenOf(agent), {
      task_id: taskId,
      provider: "leash-jwt",
      intent: { action: "read", resource: "incident/log2" },
    });
    expect(after.status).toBe(403);

    // Idempotent: closing again changes nothing and reports what is still being revoked.
    const again = await t.request("DELETE", path, security);
    expect(again.status).toBe(202);
    expect((await again.json()) as { state: string }).toMatchObject({ state: "closed" });

    const audit = (await (
      await t.request("GET", "/v1/audit?type=break_glass.closed&limit=100", security)
    ).json()) as { items: { task_id?: string; detail: Record<string, unknown> }[] };
    const events = audit.items.filter((e) => e.task_id === taskId);
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({ break_glass_id: grant.id, revoking: 1 });
  });
});

describe("blast radius includes delegation", () => {
  /** a -> b -> c, each holding one lease; returns the agents, tasks and leases. */
  async function tree(name: string) {
    const a = `spiffe://t/agent/${name}/a`;
    const b = `spiffe://t/agent/${name}-b`;
    const c = `spiffe://t/agent/${name}-c`;
    const ta = await rootTask(a);
    const tb = await subTask(a, ta, b, "docs/b/*", 300);
    const tc = await subTask(b, tb, c, "docs/b/c/*", 200);
    const la = await issue(a, ta, "docs/a");
    const lb = await issue(b, tb, "docs/b/1");
    const lc = await issue(c, tc, "docs/b/c/1");
    return { a, b, c, ta, tb, tc, la, lb, lc };
  }

  it("exposure lists the leases of delegated tasks at any depth, with delegated: true and the chain", async () => {
    const x = await tree("exp");
    const seen = await exposure(x.a);
    expect(seen.count).toBe(3);
    expect(seen.delegated_count).toBe(2);
    expect(seen.by_provider).toEqual({ "leash-jwt": 3 });
    const byId = new Map(seen.live.map((l) => [l.lease_id, l]));
    expect(byId.get(x.la.lease_id)).toMatchObject({ agent: x.a, delegated: false });
    expect(byId.get(x.la.lease_id)?.chain).toBeUndefined();
    expect(byId.get(x.lb.lease_id)).toMatchObject({ agent: x.b, delegated: true, chain: [x.a] });
    expect(byId.get(x.lc.lease_id)).toMatchObject({ agent: x.c, delegated: true, chain: [x.b, x.a] });

    const middle = await exposure(x.b);
    expect(middle.live.map((l) => l.lease_id).sort()).toEqual([x.lb.lease_id, x.lc.lease_id].sort());

    const own = await exposure(x.a, "?include_delegated=false");
    expect(own.live.map((l) => l.lease_id)).toEqual([x.la.lease_id]);
    expect(own.delegated_count).toBe(0);
  });

  it("a campaign by agent revokes the delegates' leases by default, and not with include_delegated: false", async () => {
    const x = await tree("camp");
    const preview = await t.request("POST", "/v1/revocations", security, {
      selector: { agent: x.a },
      reason: "preview",
      dry_run: true,
    });
    expect(await preview.json()).toEqual({
      matched: 3,
      by_provider: { "leash-jwt": 3 },
      by_agent: { [x.a]: 1, [x.b]: 1, [x.c]: 1 },
    });
    const ownPreview = await t.request("POST", "/v1/revocations", security, {
      selector: { agent: x.a, include_delegated: false },
      reason: "preview",
      dry_run: true,
    });
    expect(((await ownPreview.json()) as { matched: number }).matched).toBe(1);

    const narrow = await t.request("POST", "/v1/revocations", security, {
      selector: { agent: x.a, include_delegated: false },
      reason: "only a",
    });
    expect(narrow.status).toBe(202);
    expect(((await narrow.json()) as { matched: number }).matched).toBe(1);
    expect((await leaseState(x.lb.lease_id)).state).toBe("active");
    expect((await leaseState(x.lc.lease_id)).state).toBe("active");

    const wide = await t.request("POST", "/v1/revocations", security, {
      selector: { agent: x.a },
      reason: "a and its delegates",
    });
    expect(wide.status).toBe(202);
    // The campaign's selection is frozen at the order: a's lease (already revoking), b's and c's.
    expect(((await wide.json()) as { matched: number }).matched).toBe(3);
  });

  it("a selector by agent_prefix includes the delegates of every matching agent", async () => {
    const x = await tree("pfx");
    const res = await t.request("POST", "/v1/revocations", security, {
      selector: { agent_prefix: "spiffe://t/agent/pfx/" },
      reason: "preview",
      dry_run: true,
    });
    expect(await res.json()).toMatchObject({ matched: 3, by_agent: { [x.a]: 1, [x.b]: 1, [x.c]: 1 } });
    const own = await t.request("POST", "/v1/revocations", security, {
      selector: { agent_prefix: "spiffe://t/agent/pfx/", include_delegated: false },
      reason: "preview",
      dry_run: true,
    });
    expect(await own.json()).toMatchObject({ matched: 1, by_agent: { [x.a]: 1 } });
  });
});

describe("exposure by target", () => {
  it("GET /v1/leases?target= lists the leases on one target, and pages through sparse matches", async () => {
    const store = t.ctx.store;
    const task = taskFixture({ agent: "spiffe://t/agent/targets" });
    await store.tasks.create(task);
    const role = `arn:aws:iam::123456789012:role/${randomUUID()}`;
    const onRole: string[] = [];
    // Many leases on other targets between the two on the role, so a filtered page must keep scanning.
    for (let i = 0; i < 30; i++) {
      const lease = leaseFixture(task.id, {
        agent: task.agent,
        provider: "aws-sts",
        target: i % 29 === 0 ? role : `arn:aws:iam::123456789012:role/other-${i}`,
      });
      await store.leases.createPending(lease);
      await store.leases.activate(lease.id, activationFixture());
      if (lease.target === role) onRole.push(lease.id);
    }
    const found: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await t.request(
        "GET",
        `/v1/leases?target=${encodeURIComponent(role)}&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        security,
      );
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as {
        items: { lease_id: string; target: string }[];
        next_cursor: string | null;
      };
      for (const item of body.items) expect(item.target).toBe(role);
      found.push(...body.items.map((i) => i.lease_id));
      cursor = body.next_cursor;
      if (cursor === null) break;
    }
    expect(found.sort()).toEqual(onRole.sort());
  });
});

describe("validation errors name where the bad value is", () => {
  it("a bad query parameter is named as such, never as the body", async () => {
    const unknown = await t.request("GET", "/v1/leases?colour=red", security);
    expect(unknown.status).toBe(400);
    const u = (await unknown.json()) as { type: string; detail: string };
    expect(u.type).toBe("urn:leash:problem:invalid_request");
    expect(u.detail).toContain("query.colour");
    expect(u.detail).not.toContain("(body)");

    const wrongType = (await (await t.request("GET", "/v1/leases?limit=lots", security)).json()) as {
      detail: string;
    };
    expect(wrongType.detail).toContain("query.limit");
  });

  it("path parameters and headers are named by where they are; body fields keep their path", async () => {
    const long = "x".repeat(600);
    const path = (await (await t.request("GET", exposurePath(long), security)).json()) as { detail: string };
    expect(path.detail).toContain("path.agent");

    const taskId = await rootTask("spiffe://t/agent/val");
    const header = await t.request(
      "POST",
      "/v1/leases",
      await tokenOf("spiffe://t/agent/val"),
      { task_id: taskId, provider: "leash-jwt", intent: { action: "read", resource: "docs/a" } },
      { "idempotency-key": "k".repeat(300) },
    );
    expect(header.status).toBe(400);
    expect(((await header.json()) as { detail: string }).detail).toContain("header.idempotency-key");

    const body = (await (
      await t.request("POST", "/v1/tasks", orch, { agent: "x", ceiling: [], ttl_seconds: 1, colour: 1 })
    ).json()) as { detail: string };
    expect(body.detail).toMatch(/colour/);
    expect(body.detail).not.toContain("query");
  });
});

describe("the OpenAPI document states all this", () => {
  it("documents the grant's DELETE, the target filter, include_delegated and the exposure's delegated fields", async () => {
    const doc = (await (await t.request("GET", "/openapi.json", null)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.paths["/v1/break-glass/{id}"]?.delete).toBeDefined();
    const params = (path: string) => (doc.paths[path]?.get?.parameters ?? []).map((p) => `${p.in}.${p.name}`);
    expect(params("/v1/leases")).toContain("query.target");
    expect(params("/v1/agents/{agent}/exposure")).toContain("query.include_delegated");
    expect(Object.keys(doc.components.schemas.RevocationSelector?.properties ?? {})).toContain(
      "include_delegated",
    );
    // An extension of Lease: documented as allOf [Lease, its own fields].
    const exposed = JSON.stringify(doc.components.schemas.ExposedLease);
    expect(exposed).toContain('"delegated"');
    expect(exposed).toContain('"chain"');
  });
});
