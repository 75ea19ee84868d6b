import { connectRedis } from "@leash/store";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

let t: TestApp;
let orch: string;
let agent: string;
let security: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/exposed" });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

async function issue(resource: string) {
  const task = await t.request("POST", "/v1/tasks", orch, {
    agent: "spiffe://t/agent/exposed",
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  const { id } = (await task.json()) as { id: string };
  const res = await t.request("POST", "/v1/leases", agent, {
    task_id: id,
    provider: "leash-jwt",
    intent: { action: "read", resource },
  });
  return { taskId: id, lease: (await res.json()) as { lease_id: string; credential: { token: string } } };
}

describe("exposure: an agent's blast radius now", () => {
  it("lists live leases with scope and expiry, with those being revoked shown as such; agents may not look", async () => {
    const a = await issue("docs/a");
    await issue("docs/b");
    const path = `/v1/agents/${encodeURIComponent("spiffe://t/agent/exposed")}/exposure`;
    const before = (await (await t.request("GET", path, security)).json()) as {
      count: number;
      by_provider: Record<string, number>;
      live: { lease_id: string; scope: string[] }[];
    };
    expect(before.count).toBe(2);
    expect(before.by_provider).toEqual({ "leash-jwt": 2 });
    expect(before.live.map((l) => l.scope[0]).sort()).toEqual(["read:docs/a", "read:docs/b"]);
    expect((await t.request("DELETE", `/v1/leases/${a.lease.lease_id}`, security)).status).toBe(202);
    // No worker runs in this in-process app: the revoked lease stays `revoking`, and still counts, since until a
    // provider confirms, the credential may still work.
    const after = (await (await t.request("GET", path, security)).json()) as {
      live: { lease_id: string; state: string }[];
    };
    expect(after.live.find((l) => l.lease_id === a.lease.lease_id)?.state).toBe("revoking");
    expect((await t.request("GET", path, agent)).status).toBe(403);
  });
});

describe("audit: every decision and side effect, tamper-evident", () => {
  it("records issuance, denial and completion without secrets, and pages with a cursor", async () => {
    const { lease } = await issue("docs/audited");
    const all = (await (await t.request("GET", "/v1/audit?limit=1000", security)).json()) as {
      items: { type: string; lease_id?: string }[];
    };
    expect(all.items.some((e) => e.type === "lease.issued" && e.lease_id === lease.lease_id)).toBe(true);
    expect(JSON.stringify(all)).not.toContain(lease.credential.token);
    const page = (await (await t.request("GET", "/v1/audit?limit=2&type=lease.issued", security)).json()) as {
      items: { id: string }[];
      next_cursor: string;
    };
    expect(page.items).toHaveLength(2);
    const next = (await (
      await t.request("GET", `/v1/audit?limit=2&type=lease.issued&since=${page.next_cursor}`, security)
    ).json()) as { items: { id: string }[] };
    expect(next.items[0]?.id).not.toBe(page.items[1]?.id);
    const ndjson = await (await t.request("GET", "/v1/audit/export", security)).text();
    expect(ndjson.trim().split("\n").length).toBeGreaterThanOrEqual(all.items.length);
  });

  it("verify is ok, then fails at an event edited in Redis", async () => {
    await issue("docs/v");
    expect(await (await t.request("GET", "/v1/audit/verify", security)).json()).toMatchObject({ ok: true });
    const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
    onTestFinished(() => redis.quit().then(() => undefined));
    const stream = t.ctx.audit.stream;
    const entries = await redis.xrange(stream, "-", "+");
    const victim = entries[1]?.[0] ?? "";
    await redis.del(stream);
    for (const [id, fields] of entries) {
      const altered = fields.map((v, i) =>
        id === victim && fields[i - 1] === "e" ? v.replace('"outcome":"ok"', '"outcome":"denied"') : v,
      );
      await redis.xadd(stream, id, ...altered);
    }
    const result = (await (await t.request("GET", "/v1/audit/verify", security)).json()) as {
      ok: boolean;
      first_bad: { id: string };
    };
    expect(result.ok).toBe(false);
    expect(result.first_bad.id).toBe(victim);
  });
});
