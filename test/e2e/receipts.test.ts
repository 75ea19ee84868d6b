import { waitFor } from "@leash/devstack";
import { connectRedis } from "@leash/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { auditLog, createTask, issueLease } from "../support/fixtures.js";
import { seedActiveLeases } from "../support/seed.js";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { storeOf } from "../support/store.js";

/**
 * Every lease that ends leaves exactly one receipt in the audit trail (`lease.revoked` or `lease.expired`) naming the
 * lease, the cause, the actor, when the end was ordered and when it was confirmed; a campaign ends with
 * `revocation.completed`. Each case ends leases one way and reads the receipts back through GET /v1/audit.
 */
let stack: Stack;
let orch: string;
let security: string;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
  orch = await stack.token(ORCHESTRATOR);
  security = await stack.token(SECURITY);
}, 60_000);
afterAll(() => stack?.stop());

interface AuditItem {
  id: string;
  ts: string;
  type: string;
  actor: string | null;
  lease_id?: string;
  task_id?: string;
  cause?: string;
  ordered_at?: string;
  confirmed_at?: string;
  detail?: Record<string, unknown>;
}

const RECEIPTS = new Set(["lease.revoked", "lease.expired"]);

/** Waits until every lease has a receipt, then returns them by lease id (failing on any lease with two). */
async function receipts(leaseIds: readonly string[], timeoutMs = 15_000): Promise<Map<string, AuditItem>> {
  return waitFor(
    async () => {
      const byLease = new Map<string, AuditItem[]>();
      for (const e of await auditLog<AuditItem>(stack, security)) {
        if (!RECEIPTS.has(e.type) || !e.lease_id) continue;
        byLease.set(e.lease_id, [...(byLease.get(e.lease_id) ?? []), e]);
      }
      if (!leaseIds.every((id) => byLease.has(id))) return undefined;
      for (const id of leaseIds) expect(byLease.get(id), `receipts of ${id}`).toHaveLength(1);
      return new Map(leaseIds.map((id) => [id, byLease.get(id)?.[0] as AuditItem]));
    },
    { timeoutMs, intervalMs: 100, what: "a receipt for every lease" },
  );
}

const task = (agent: string, body?: Record<string, unknown>) => createTask(stack, agent, body);

const lease = async (agent: string, taskId: string, extra?: Record<string, unknown>) =>
  (await issueLease(stack, agent, taskId, extra)).lease_id;

async function seeded(taskId: string, agent: string): Promise<string> {
  const redis = connectRedis(stack.redis, { mode: "worker" });
  try {
    const store = await storeOf(redis, stack.prefix);
    await seedActiveLeases(store, taskId, 1, () => agent, 600_000);
    const { items } = await store.leases.list({ taskId, limit: 1 });
    return items[0]?.id ?? "";
  } finally {
    await redis.quit();
  }
}

async function leaseView(id: string) {
  const res = await stack.call("GET", `/v1/leases/${id}`, security);
  return (await res.json()) as { state: string; revoke_reason: string | null; revoked_at: string | null };
}

/** The receipt's shape, and the lease record agreeing with it. */
async function expectReceipt(
  receipt: AuditItem | undefined,
  leaseId: string,
  want: { type?: string; cause: string; actor: string },
) {
  expect(receipt).toMatchObject({
    type: want.type ?? "lease.revoked",
    lease_id: leaseId,
    cause: want.cause,
    actor: want.actor,
  });
  const ordered = Date.parse(receipt?.ordered_at ?? "");
  const confirmed = Date.parse(receipt?.confirmed_at ?? "");
  expect(Number.isFinite(ordered) && Number.isFinite(confirmed)).toBe(true);
  expect(confirmed).toBeGreaterThanOrEqual(ordered);
  const view = await leaseView(leaseId);
  expect(view.revoke_reason).toBe(want.cause);
  expect(Date.parse(view.revoked_at ?? "")).toBe(confirmed);
}

describe("every ended lease has its own receipt", () => {
  it("task completion and cancellation, with the leases of sub-tasks (cascade)", async () => {
    const done = await task("rc-complete");
    const child = await task("rc-child", { parent_id: done, ttl_seconds: 300 });
    const cancelled = await task("rc-cancel");
    const a = await lease("rc-complete", done);
    const b = await lease("rc-child", child);
    const c = await lease("rc-cancel", cancelled);
    expect((await stack.call("POST", `/v1/tasks/${done}/complete`, orch)).status).toBe(202);
    expect((await stack.call("POST", `/v1/tasks/${cancelled}/cancel`, orch)).status).toBe(202);
    // A duplicate signal orders nothing new and leaves no second receipt.
    expect((await stack.call("POST", `/v1/tasks/${done}/complete`, orch)).status).toBe(202);
    const got = await receipts([a, b, c]);
    await expectReceipt(got.get(a), a, { cause: "task_completed", actor: ORCHESTRATOR });
    await expectReceipt(got.get(b), b, { cause: "task_completed", actor: ORCHESTRATOR });
    await expectReceipt(got.get(c), c, { cause: "task_cancelled", actor: ORCHESTRATOR });
  });

  it("a lease returned by its agent, and one revoked by the security team", async () => {
    const t = await task("rc-return");
    const returned = await lease("rc-return", t);
    const revoked = await lease("rc-return", t);
    const agent = await stack.token(agentId("rc-return"));
    expect((await stack.call("DELETE", `/v1/leases/${returned}`, agent)).status).toBe(202);
    expect((await stack.call("DELETE", `/v1/leases/${revoked}`, security)).status).toBe(202);
    const got = await receipts([returned, revoked]);
    await expectReceipt(got.get(returned), returned, { cause: "returned", actor: agentId("rc-return") });
    await expectReceipt(got.get(revoked), revoked, { cause: "security", actor: SECURITY });
  });

  it("natural expiry of a lease, and of a task", async () => {
    const t = await task("rc-expiry");
    const short = await lease("rc-expiry", t, { ttl_seconds: 1 });
    // A lease's TTL never outlasts its task, so both end at the deadline and either may be first: seed one that
    // does (as a lease issued before a shorter deadline could), so only the task's expiry can end it.
    const briefTask = await task("rc-task-expiry", { ttl_seconds: 2 });
    const underIt = await seeded(briefTask, agentId("rc-task-expiry"));
    const got = await receipts([short, underIt]);
    await expectReceipt(got.get(short), short, { type: "lease.expired", cause: "expired", actor: "leash" });
    await expectReceipt(got.get(underIt), underIt, { cause: "task_expired", actor: "leash" });
  });

  it("a mass revocation campaign: one receipt per lease, then revocation.completed with its counts", async () => {
    const agent = "rc-campaign";
    const t = await task(agent);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push(await lease(agent, t, { intent: { action: "read", resource: `docs/${i}` } }));
    const res = await stack.call("POST", "/v1/revocations", security, {
      selector: { agent: agentId(agent) },
      reason: "suspected compromise",
    });
    expect(res.status).toBe(202);
    const { id: campaign } = (await res.json()) as { id: string };
    const got = await receipts(ids);
    for (const id of ids) {
      await expectReceipt(got.get(id), id, { cause: "campaign", actor: SECURITY });
      expect(got.get(id)?.detail?.campaign).toBe(campaign);
    }
    const completed = await waitFor(
      async () => {
        const found = (await auditLog<AuditItem>(stack, security)).filter(
          (e) => e.type === "revocation.completed" && e.detail?.campaign === campaign,
        );
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 15_000, what: "revocation.completed" },
    );
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ actor: SECURITY, detail: { matched: 40, revoked: 40, failed: 0 } });
  });

  it("the trail with the receipts still verifies", async () => {
    const res = await stack.call("GET", "/v1/audit/verify", security);
    expect(await res.json()).toMatchObject({ ok: true });
  });
});
