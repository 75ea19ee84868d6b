import { shardInId } from "@leash/core";
import { waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { auditLog, createTask, issueLease, json } from "../support/fixtures.js";
import { agentId, SECURITY, type Stack, startStack } from "../support/stack.js";

/**
 * The real processes with LEASH_SHARDS=4 on one redis-server (`pnpm test:cluster` runs the whole suite with 12 on a
 * Redis Cluster): task trees land on every shard, and what reads or acts across shards (listings, exposure, a
 * campaign, a task's cascade, the audit log and its verification) sees all of them.
 */
const SHARDS = 4;
let stack: Stack;
let security: string;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl"), env: { LEASH_SHARDS: String(SHARDS) } });
  security = await stack.token(SECURITY);
}, 60_000);
afterAll(() => stack?.stop());

interface AuditItem {
  type: string;
  detail?: Record<string, unknown>;
}

describe(`${SHARDS} shards`, () => {
  it("spreads task trees over the shards, keeps a sub-task and the leases in its root's, and sees them all", async () => {
    const tasks: string[] = [];
    // 40 trees at random over 4 shards: one left empty about once in 25,000 runs.
    for (let i = 0; i < 40; i++) tasks.push(await createTask(stack, "sharded"));
    const shards = new Set(tasks.map((id) => shardInId(id) ?? 0));
    expect([...shards].sort()).toEqual([0, 1, 2, 3]);
    const root = tasks.find((id) => shardInId(id) === 2) ?? "";
    const child = await createTask(stack, "sharded-delegate", { parent_id: root, ttl_seconds: 60 });
    expect(shardInId(child)).toBe(2);
    const leases = await Promise.all(
      tasks.map(async (t) => (await issueLease(stack, "sharded", t)).lease_id),
    );
    for (const [i, id] of leases.entries()) expect(shardInId(id) ?? 0).toBe(shardInId(tasks[i] ?? "") ?? 0);
    const delegated = (await issueLease(stack, "sharded-delegate", child)).lease_id;

    const exposure = await json<{ live: { lease_id: string }[]; delegated_count: number }>(
      await stack.call(
        "GET",
        `/v1/agents/${encodeURIComponent(agentId("sharded"))}/exposure?include_delegated=true`,
        security,
      ),
    );
    expect(exposure.live.map((l) => l.lease_id).sort()).toEqual([...leases, delegated].sort());
    expect(exposure.delegated_count).toBe(1);
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { lease_id: string }[]; next_cursor: string | null } = await json(
        await stack.call(
          "GET",
          `/v1/leases?agent=${encodeURIComponent(agentId("sharded"))}&limit=5${cursor ? `&cursor=${cursor}` : ""}`,
          security,
        ),
      );
      listed.push(...page.items.map((l) => l.lease_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(listed).toEqual([...leases].sort().reverse());

    // The root's end ends its sub-task's lease, in the same shard, in one step.
    await json<{ revoking: number }>(
      await stack.call(
        "POST",
        `/v1/tasks/${root}/complete`,
        await stack.token("spiffe://dev.local/orchestrator"),
      ),
    );
    const ended = await json<{ state: string }>(await stack.call("GET", `/v1/leases/${delegated}`, security));
    expect(ended.state).toBe("revoked");
  });

  it("runs a campaign over every shard and audits its completion once; the trail verifies across the chains", async () => {
    const started = await json<{ id: string; matched: number }>(
      await stack.call("POST", "/v1/revocations", security, {
        selector: { agent: agentId("sharded") },
        reason: "sharded drill",
      }),
    );
    expect(started.matched).toBe(39);
    await waitFor(
      async () => {
        const c = await json<{ state: string; revoked: number }>(
          await stack.call("GET", `/v1/revocations/${started.id}`, security),
        );
        return c.state === "done" ? c : undefined;
      },
      { timeoutMs: 15_000, what: "the campaign" },
    );
    const completed = await waitFor(
      async () => {
        const found = (await auditLog<AuditItem>(stack, security, "type=revocation.completed")).filter(
          (e) => e.detail?.campaign === started.id,
        );
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 15_000, what: "revocation.completed" },
    );
    expect(completed).toHaveLength(1);
    expect(completed[0]?.detail).toMatchObject({ matched: 39, revoked: 39, failed: 0 });
    const receipts = await auditLog<AuditItem>(stack, security, "type=lease.revoked");
    expect(receipts.filter((e) => e.detail?.campaign === started.id)).toHaveLength(39);
    expect(await json(await stack.call("GET", "/v1/audit/verify", security))).toMatchObject({ ok: true });
  });
});
