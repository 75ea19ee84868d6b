import { waitFor } from "@leash/devstack";
import { connectRedis } from "@leash/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { shardPrefixesOf } from "../support/store.js";

let stack: Stack;
let security: string;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    env: { LEASH_AUDIT_RETENTION_SECONDS: "1", LEASH_AUDIT_TRIM_INTERVAL_MS: "1000" },
  });
  security = await stack.token(SECURITY);
}, 60_000);
afterAll(() => stack?.stop());

interface AuditPage {
  items: { id: string; type: string; detail?: Record<string, unknown> }[];
}

const audit = async (query: string) =>
  (await (await stack.call("GET", `/v1/audit?${query}`, security)).json()) as AuditPage;

describe("audit retention", () => {
  it("the worker trims old events behind a signed checkpoint and the trail still verifies", async () => {
    const orch = await stack.token(ORCHESTRATOR);
    // A trim keeps each chain's newest event: with several shards (pnpm test:cluster runs 12), enough events that
    // every chain holds some to trim (the API spreads its appends over the chains, one after another).
    for (let i = 0; i < 40; i++) {
      const res = await stack.call("POST", "/v1/tasks", orch, {
        agent: agentId("retention"),
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 60,
      });
      expect(res.status).toBe(201);
    }
    const before = await audit("limit=100");
    const first = before.items[0]?.id;
    expect(first).toBeDefined();

    const trimmed = await waitFor(async () => (await audit("type=audit.trimmed&limit=1")).items[0], {
      timeoutMs: 15_000,
      what: "an audit.trimmed event",
    });
    expect(trimmed.detail?.trimmed).toBeGreaterThan(0);
    // Each chain keeps its newest event whatever its age: with one shard the first event is gone, with several at
    // most one of the old events per shard is left.
    const redis = connectRedis(stack.redis, { mode: "worker" });
    const shards = (await shardPrefixesOf(redis, stack.prefix)).length;
    await redis.quit();
    const old = new Set(before.items.map((e) => e.id));
    const after = await waitFor(
      async () => {
        const page = await audit("limit=100");
        return page.items.filter((e) => old.has(e.id)).length <= shards - 1 ? page : undefined;
      },
      { timeoutMs: 15_000, what: "the old events to be trimmed" },
    );
    if (shards === 1) expect(after.items.map((e) => e.id)).not.toContain(first);

    const verify = await stack.call("GET", "/v1/audit/verify", security);
    expect(await verify.json()).toMatchObject({ ok: true });
  });
});
