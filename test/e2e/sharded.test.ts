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
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    env: { LEASH_SHARDS: String(SHARDS) },
    config: {
      quotas: [
        { id: "sharded-pool", match: { agent_prefix: agentId("sharded-q") }, per: "agent", max_live: 3 },
      ],
    },
  });
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

  it("holds a trust-file quota exactly across shards, and catches one Idempotency-Key used for tasks of two", async () => {
    // Tasks of one agent until two are on shard 3 and one each on shards 1 and 2 (random placement).
    const byShard = new Map<number, string[]>();
    for (
      let i = 0;
      i < 80 && !((byShard.get(3)?.length ?? 0) >= 2 && byShard.has(1) && byShard.has(2));
      i++
    ) {
      const id = await createTask(stack, "sharded-q");
      byShard.set(shardInId(id) ?? 0, [...(byShard.get(shardInId(id) ?? 0) ?? []), id]);
    }
    const [a = "", b = ""] = byShard.get(3) ?? [];
    const [c = ""] = byShard.get(1) ?? [];
    const [d = ""] = byShard.get(2) ?? [];
    const token = await stack.token(agentId("sharded-q"));
    const ask = (task: string, headers: Record<string, string> = {}) =>
      stack.call(
        "POST",
        "/v1/leases",
        token,
        { task_id: task, provider: "leash-jwt", intent: { action: "read", resource: "docs/a.md" } },
        headers,
      );
    // The pool is 3 whatever shards its leases live in: two in shard 3, one in shard 1, then full everywhere.
    const held = [
      (await issueLease(stack, "sharded-q", a)).lease_id,
      (await issueLease(stack, "sharded-q", b)).lease_id,
    ];
    held.push((await issueLease(stack, "sharded-q", c)).lease_id);
    const full = await ask(d);
    expect(full.status).toBe(429);
    expect(await full.json()).toMatchObject({ quota: "sharded-pool", limit: "max_live", max: 3 });
    // A lease returned frees its place once it is revoked, for a task of any shard.
    expect((await stack.call("DELETE", `/v1/leases/${held[0]}`, token)).status).toBeLessThan(300);
    const fourth = await waitFor(
      async () => {
        const res = await ask(d);
        return res.status === 201 ? res : undefined;
      },
      { timeoutMs: 10_000, what: "a place to free" },
    );
    expect(fourth.status).toBe(201);

    // One key, two tasks of two shards, at once: one lease, and the other request told the key was used.
    expect((await stack.call("DELETE", `/v1/leases/${held[1]}`, token)).status).toBeLessThan(300);
    await waitFor(async () => ((await ask(b)).status === 201 ? true : undefined), {
      timeoutMs: 10_000,
      what: "another place",
    });
    for (const id of [held[2], (await json<{ lease_id: string }>(fourth)).lease_id])
      await stack.call("DELETE", `/v1/leases/${id}`, token);
    // Room for both racers, so that only the key decides: the returned leases' places are free once revoked.
    await waitFor(
      async () => {
        const exposure = await json<{ quotas: { id: string; usage: { live: number | null } }[] }>(
          await stack.call(
            "GET",
            `/v1/agents/${encodeURIComponent(agentId("sharded-q"))}/exposure`,
            security,
          ),
        );
        return exposure.quotas.find((q) => q.id === "sharded-pool")?.usage.live === 1 ? true : undefined;
      },
      { timeoutMs: 10_000, what: "the returned leases' places to be free" },
    );
    const raced = await Promise.all([
      ask(a, { "idempotency-key": "sharded-race" }),
      ask(c, { "idempotency-key": "sharded-race" }),
    ]);
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await raced.find((r) => r.status === 409)?.json()).toMatchObject({
      type: "urn:leash:problem:idempotency_conflict",
    });
  });
});
