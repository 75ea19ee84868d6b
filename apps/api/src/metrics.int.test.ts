import { QUEUES } from "@leash/queue";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

let t: TestApp;
let orch: string;
let agent: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/metrics" });
});
afterAll(() => t?.close());

async function scrape(): Promise<string> {
  const res = await t.request("GET", "/metrics", null);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("/metrics after a scenario", () => {
  it("counts requests by provider and outcome, times them, and reports live leases", async () => {
    const task = await t.request("POST", "/v1/tasks", orch, {
      agent: "spiffe://t/agent/metrics",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const { id } = (await task.json()) as { id: string };
    const ask = (resource: string, key?: string) =>
      t.request(
        "POST",
        "/v1/leases",
        agent,
        { task_id: id, provider: "leash-jwt", intent: { action: "read", resource } },
        key ? { "idempotency-key": key } : {},
      );
    for (const doc of ["a", "b", "c"]) expect((await ask(`docs/${doc}`)).status).toBe(201);
    expect((await ask("docs/d", "k1")).status).toBe(201);
    expect((await ask("docs/d", "k1")).status).toBe(200);
    expect((await ask("secrets/x")).status).toBe(403);

    const text = await scrape();
    const issued = 'leash_issue_requests_total{provider="leash-jwt",outcome="issued"}';
    expect(value(text, issued)).toBe(4);
    expect(value(text, 'leash_issue_requests_total{provider="leash-jwt",outcome="replayed"}')).toBe(1);
    expect(value(text, 'leash_issue_requests_total{provider="leash-jwt",outcome="denied"}')).toBe(1);
    expect(value(text, 'leash_issue_duration_seconds_count{provider="leash-jwt"}')).toBe(6);
    expect(value(text, 'leash_live_leases{provider="leash-jwt"}')).toBe(4);
    expect(value(text, "leash_revoke_failed_leases")).toBe(0);
    expect(text).toMatch(/leash_queue_jobs\{queue="[a-z]+",state="\w+"\} \d+/);
    expect(text).toContain("leash_api_process_cpu_seconds_total");

    const ret = await t.request("POST", `/v1/tasks/${id}/complete`, orch);
    expect(ret.status).toBe(202);
    // Task tokens die in the store: completion ends them at once, with no revoke job, so the gauge drops.
    const after = await scrape();
    expect(value(after, 'leash_live_leases{provider="leash-jwt"}')).toBe(0);
    // ...and they are counted here, since no worker job counts them.
    expect(value(after, "leash_task_end_settled_total")).toBe(4);
  });

  it("reports a paused queue; its jobs count as waiting, and no state is called paused", async () => {
    const { connection, prefix } = t.ctx.store.queueConnection();
    const revoke = new Queue(QUEUES.revoke, { connection, prefix });
    try {
      const before = await scrape();
      expect(before).toContain('leash_queue_paused{queue="revoke"} 0');
      expect(before).toContain('leash_queue_paused{queue="campaign"} 0');
      expect(before).toContain('leash_queue_paused{queue="reevaluation"} 0');
      // No worker runs here, so revoke jobs wait.
      await revoke.addBulk(
        ["a", "b", "c", "d"].map((id) => ({
          name: "revoke",
          data: { leaseId: `ls_${id}` },
          opts: { jobId: id },
        })),
      );
      expect(value(await scrape(), 'leash_queue_jobs{queue="revoke",state="waiting"}')).toBe(4);

      await revoke.pause();
      const paused = await scrape();
      expect(value(paused, 'leash_queue_paused{queue="revoke"}')).toBe(1);
      expect(value(paused, 'leash_queue_paused{queue="campaign"}')).toBe(0);
      expect(value(paused, 'leash_queue_jobs{queue="revoke",state="waiting"}')).toBe(4);
      expect(paused).not.toMatch(/leash_queue_jobs\{[^}]*state="paused"/);

      await revoke.resume();
      expect(value(await scrape(), 'leash_queue_paused{queue="revoke"}')).toBe(0);
    } finally {
      await revoke.close();
    }
  });

  it("never exposes identities or credentials", async () => {
    const text = await scrape();
    expect(text).not.toMatch(/spiffe:|eyJ/);
  });
});
