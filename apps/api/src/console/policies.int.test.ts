import { type ReevaluationDeps, runReevaluation } from "@leash/core";
import { compileSnapshot, liveDecider } from "@leash/policy";
import { QUEUES, ReevaluationJob } from "@leash/queue";
import { connectRedis } from "@leash/store";
import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient, csrfOf } from "../testing/console-client.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

/**
 * The console's policy page: a change to one file previewed before it is written (the dry run of the
 * re-evaluation it would bring, decided here by a stand-in for the worker), and a re-evaluation ordered by hand.
 */
const POLICIES = new URL("../testing/policies", import.meta.url).pathname;
const SECURITY = "spiffe://t/security/pat";
const AGENT = "spiffe://t/agent/console-policies";

let t: TestApp;
let browser: ConsoleClient;
let worker: Worker;
let connection: ReturnType<typeof connectRedis>;
let leaseId: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { LEASH_POLICY_DIR: POLICIES });
  const { prefix } = t.ctx.store.queueConnection();
  connection = connectRedis(inject("redisUrl"), { mode: "worker" });
  const deps: ReevaluationDeps = {
    reevaluations: t.ctx.store.reevaluations,
    policySets: t.ctx.store.policySets,
    queue: t.ctx.producers,
    providers: t.ctx.broker.providers,
    audit: t.ctx.audit,
    clock: t.ctx.broker.clock,
    config: { defaultTtlSeconds: 300, environment: "test", maxDelegationDepth: 3, retentionMs: 60_000 },
  };
  // What the worker does with a re-evaluation job, in this process.
  worker = new Worker(
    QUEUES.reevaluation,
    async (job) => {
      const run = await deps.reevaluations.get(ReevaluationJob.parse(job.data).reevaluationId);
      const set = run && (await deps.policySets.get(run.policySet));
      if (run && set) await runReevaluation(deps, run, liveDecider("console-test", compileSnapshot(set)));
    },
    { connection, prefix },
  );
  const orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  const agent = await t.issuer.mint({ sub: AGENT });
  const task = await t.request("POST", "/v1/tasks", orch, {
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  const taskId = ((await task.json()) as { id: string }).id;
  const lease = await t.request("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource: "docs/a", purpose: "console-preview" },
  });
  leaseId = ((await lease.json()) as { lease_id: string }).lease_id;
  browser = new ConsoleClient(t);
  expect((await browser.login(await t.issuer.mint({ sub: SECURITY }))).status).toBe(303);
});
afterAll(async () => {
  await worker?.close();
  await connection?.quit();
  await t?.close();
});

describe("console: policies", () => {
  it("shows the loaded set and previews a change to one file, revoking nothing", async () => {
    const page = await (await browser.get("/console/policies")).text();
    expect(page).toContain(t.ctx.policySnapshot()?.id);
    expect(page).toContain("test.cedar");
    const preview = await browser.post("/console/policies/preview", {
      csrf: csrfOf(page),
      file: "no-previews.cedar",
      text: `@id("no-console-previews")\nforbid (principal, action, resource)\nwhen { context has purpose && context.purpose == "console-preview" };`,
    });
    expect(preview.status).toBe(200);
    const html = await preview.text();
    expect(html).toMatch(/1 live lease of \d+ would be revoked/);
    expect(html).toContain("no-console-previews");
    expect(html).toContain(leaseId);
    const lease = await t.request("GET", `/v1/leases/${leaseId}`, await t.issuer.mint({ sub: SECURITY }));
    expect(((await lease.json()) as { state: string }).state).toBe("active");
  });

  it("names file, line and problem of a change that does not load", async () => {
    const page = await (await browser.get("/console/policies")).text();
    const res = await browser.post("/console/policies/preview", {
      csrf: csrfOf(page),
      file: "broken.cedar",
      text: `@id("broken")\npermit (principal, action, resource)\nwhen { context.nope };`,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/broken\.cedar:3:\d+/);
  });

  it("orders a re-evaluation with the signed-in person as its actor", async () => {
    const page = await (await browser.get("/console/policies")).text();
    const res = await browser.post("/console/reevaluations", { csrf: csrfOf(page) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/policies");
    const after = await (await browser.get("/console/policies")).text();
    expect(after).toContain(SECURITY);
    expect(after).toMatch(/<td>request<\/td>/);
  });
});
