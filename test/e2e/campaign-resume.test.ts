import { waitFor } from "@leash/devstack";
import { connectRedis } from "@leash/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedActiveLeases } from "../support/seed.js";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { storeOf } from "../support/store.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    separate: true,
    env: { LEASH_JOB_LOCK_MS: "1500" },
  });
}, 60_000);
afterAll(() => stack?.stop());

type Progress = { state: string; ordered: number; matched: number; revoked: number };

describe("mass revocation survives its worker", () => {
  it("a campaign resumes after the worker is killed -9 mid-way and after a graceful restart", async () => {
    const redis = connectRedis(stack.redis, { mode: "worker" });
    const store = await storeOf(redis, stack.prefix);
    const orch = await stack.token(ORCHESTRATOR);
    const security = await stack.token(SECURITY);
    const res = await stack.call("POST", "/v1/tasks", orch, {
      agent: agentId("resume"),
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const { id: taskId } = (await res.json()) as { id: string };
    await seedActiveLeases(store, taskId, 8_000, () => agentId("resume"));

    const started = await stack.call("POST", "/v1/revocations", security, {
      selector: { task_id: taskId },
      reason: "resume drill",
    });
    const { id } = (await started.json()) as { id: string };
    const progress = async () =>
      (await (await stack.call("GET", `/v1/revocations/${id}`, security)).json()) as Progress;

    await waitFor(async () => ((await progress()).ordered > 0 ? true : undefined), {
      intervalMs: 5,
      what: "the campaign to start",
    });
    await stack.worker?.kill();
    const atCrash = await progress();
    expect(atCrash.ordered).toBeLessThan(atCrash.matched);

    stack.startWorker();
    await waitFor(
      async () => {
        const p = await progress();
        return p.ordered > atCrash.ordered ? true : undefined;
      },
      { timeoutMs: 15_000, what: "a new worker to take the campaign over" },
    );
    await stack.worker?.stop();
    stack.startWorker();

    const final = await waitFor(
      async () => {
        const p = await progress();
        return p.state === "done" ? p : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "the campaign to finish" },
    );
    expect(final).toMatchObject({ matched: 8_000, ordered: 8_000, revoked: 8_000 });
    expect(await store.leases.selectLive({ taskId })).toHaveLength(0);
    await redis.quit();
  }, 120_000);
});
