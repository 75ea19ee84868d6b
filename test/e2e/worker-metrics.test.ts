import { freePort, waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let metricsUrl: string;
beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    env: { LEASH_WORKER_METRICS_PORT: String(port) },
  });
}, 60_000);
afterAll(() => stack?.stop());

async function series(name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

describe("worker metrics", () => {
  it("count revocations and time them from the order to the provider's confirmation", async () => {
    const orch = await stack.token(ORCHESTRATOR);
    const agent = await stack.token(agentId("metrics"));
    const task = await stack.call("POST", "/v1/tasks", orch, {
      agent: agentId("metrics"),
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const { id } = (await task.json()) as { id: string };
    // Returned leases go through the worker's revoke jobs (a task's end settles task tokens in the store itself,
    // counted by the API's leash_task_end_settled_total instead).
    for (const doc of ["a", "b", "c"]) {
      const res = await stack.call("POST", "/v1/leases", agent, {
        task_id: id,
        provider: "leash-jwt",
        intent: { action: "read", resource: `docs/${doc}` },
      });
      expect(res.status).toBe(201);
      const { lease_id } = (await res.json()) as { lease_id: string };
      expect((await stack.call("DELETE", `/v1/leases/${lease_id}`, agent)).status).toBe(202);
    }

    const revoked = 'leash_revocations_total{provider="leash-jwt",outcome="revoked"}';
    await waitFor(async () => (await series(revoked)) === 3 || undefined, {
      timeoutMs: 10_000,
      what: "3 revocations",
    });
    const count = await series('leash_revocation_latency_seconds_count{provider="leash-jwt"}');
    const sum = await series('leash_revocation_latency_seconds_sum{provider="leash-jwt"}');
    expect(count).toBe(3);
    expect(sum / count).toBeLessThan(1);
    expect(await series('leash_revocation_latency_seconds_bucket{le="1",provider="leash-jwt"}')).toBe(3);
  });
});
