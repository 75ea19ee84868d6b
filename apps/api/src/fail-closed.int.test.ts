import { type RedisServer, startRedisServer, waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

let redis: RedisServer;
let t: TestApp;
beforeAll(async () => {
  redis = await startRedisServer({ appendOnly: true });
  t = await createTestApp(redis.url);
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

describe("property 4: fail closed", () => {
  it("with Redis down, issuance answers 503 and hands out no credential; it recovers when Redis is back", async () => {
    const orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
    const agent = await t.issuer.mint({ sub: "spiffe://t/agent/a" });
    const created = await t.request("POST", "/v1/tasks", orch, {
      agent: "spiffe://t/agent/a",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const { id } = (await created.json()) as { id: string };
    const ask = () =>
      t.request("POST", "/v1/leases", agent, {
        task_id: id,
        provider: "leash-jwt",
        intent: { action: "read", resource: "docs/a" },
      });

    await redis.kill();
    const down = await ask();
    expect(down.status).toBe(503);
    const body = (await down.json()) as { type: string };
    expect(body.type).toBe("urn:leash:problem:store_unavailable");
    expect(JSON.stringify(body)).not.toContain("credential");
    expect(down.headers.get("retry-after")).toBe("1");

    // Nothing was persisted, so there is nothing to recover: the same request succeeds once Redis is back.
    await redis.start();
    const status = await waitFor(
      async () => {
        const res = await ask();
        return res.status === 201 ? res.status : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "issuance to recover" },
    );
    expect(status).toBe(201);
  });
});
