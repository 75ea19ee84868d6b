import { describe, expect, it } from "vitest";
import { LeashError } from "../errors.js";
import type { Quota } from "../quota.js";
import { FakePolicy, fakeBroker, givenTask, identity, revokerOf } from "../testing/index.js";
import { type Issued, type IssueRequest, issueLease } from "./issue-lease.js";
import { returnLease } from "./leases.js";
import { agentQuotas, quotaTotals } from "./quotas.js";
import { revokeLease } from "./revoke.js";
import { decideApproval } from "./step-up.js";
import { getTask, registerTask } from "./tasks.js";

const AGENT = "spiffe://example.org/agent/a";
const OTHER = "spiffe://example.org/agent/b";
const agent = identity(AGENT, "agent");
const other = identity(OTHER, "agent");
const orchestrator = identity("spiffe://example.org/orchestrator", "orchestrator");
const security = identity("spiffe://example.org/security", "security");

function ask(taskId: string, overrides: Partial<IssueRequest> = {}): IssueRequest {
  return {
    taskId,
    provider: "vault",
    target: "reader",
    intent: { action: "read", resource: "docs/a.md" },
    ttlSeconds: 60,
    ...overrides,
  };
}

function quota(overrides: Partial<Quota> = {}): Quota {
  return { id: "q", match: {}, perAgent: false, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<LeashError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeashError) return error;
    throw error;
  }
  throw new Error("expected a LeashError");
}

async function issued(promise: Promise<unknown>): Promise<Issued> {
  const outcome = (await promise) as Issued;
  if (outcome.kind !== "issued") throw new Error(`expected a lease, got ${JSON.stringify(outcome)}`);
  return outcome;
}

async function setup(quotas: Quota[], options: Parameters<typeof fakeBroker>[0] = {}) {
  const broker = fakeBroker({ ...options, config: { ...options.config, quotas } });
  const task = await givenTask(broker, { agent: AGENT });
  const otherTask = await givenTask(broker, { agent: OTHER });
  return { broker, task, otherTask };
}

describe("trust-file quotas: max_live", () => {
  it("issues up to the limit, then refuses with 429 naming the quota, writing and minting nothing", async () => {
    const { broker, task } = await setup([quota({ id: "live-3", maxLive: 3 })]);
    for (let i = 0; i < 3; i++) await issued(issueLease(broker, agent, ask(task.id)));
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error).toMatchObject({
      code: "quota_exceeded",
      status: 429,
      extensions: { quota: "live-3", limit: "max_live", max: 3 },
      retryAfterSeconds: undefined,
    });
    expect(broker.leases.leases.size).toBe(3);
    expect(broker.provider.minted).toHaveLength(3);
  });

  it("audits the refusal as a denial naming the quota", async () => {
    const { broker, task } = await setup([quota({ id: "one", maxLive: 1 })]);
    await issued(issueLease(broker, agent, ask(task.id)));
    await failure(issueLease(broker, agent, ask(task.id)));
    expect(broker.audit.last("lease.denied")).toMatchObject({
      outcome: "denied",
      agent: AGENT,
      detail: { reasons: ["quota one max_live"], quota: { quota: "one", limit: "max_live", max: 1 } },
    });
  });

  it("frees a slot when a lease is revoked, expires, or is aborted, and not while it is revoking", async () => {
    const { broker, task } = await setup([quota({ maxLive: 1 })]);
    const first = await issued(issueLease(broker, agent, ask(task.id)));
    await returnLease(broker, agent, first.lease.id);
    expect((await failure(issueLease(broker, agent, ask(task.id)))).code).toBe("quota_exceeded");
    await revokeLease(revokerOf(broker), first.lease.id);
    expect(broker.leases.leases.get(first.lease.id)?.state).toBe("revoked");

    const second = await issued(issueLease(broker, agent, ask(task.id)));
    expect((await failure(issueLease(broker, agent, ask(task.id)))).code).toBe("quota_exceeded");
    broker.clock.advance(61_000);
    await revokeLease(revokerOf(broker), second.lease.id);
    expect(broker.leases.leases.get(second.lease.id)?.state).toBe("expired");

    broker.provider.failNextMint = new LeashError("provider_unavailable", "down");
    expect((await failure(issueLease(broker, agent, ask(task.id)))).code).toBe("provider_unavailable");
    expect([...broker.leases.leases.values()].map((l) => l.state)).toContain("aborted");
    await issued(issueLease(broker, agent, ask(task.id)));
  });

  it("counts one pool for everything the match selects, or one per agent with per: agent", async () => {
    const shared = await setup([quota({ maxLive: 1 })]);
    await issued(issueLease(shared.broker, agent, ask(shared.task.id)));
    expect((await failure(issueLease(shared.broker, other, ask(shared.otherTask.id)))).code).toBe(
      "quota_exceeded",
    );

    const perAgent = await setup([quota({ maxLive: 1, perAgent: true })]);
    await issued(issueLease(perAgent.broker, agent, ask(perAgent.task.id)));
    await issued(issueLease(perAgent.broker, other, ask(perAgent.otherTask.id)));
    expect((await failure(issueLease(perAgent.broker, agent, ask(perAgent.task.id)))).code).toBe(
      "quota_exceeded",
    );
  });

  it("leaves leases the match does not select alone, and applies every matching quota", async () => {
    const { broker, task, otherTask } = await setup([
      quota({ id: "b-only", match: { agentPrefix: "spiffe://example.org/agent/b" }, maxLive: 1 }),
      quota({ id: "aws", match: { provider: "aws-sts" }, maxLive: 1 }),
      quota({ id: "reader", match: { target: "reader" }, maxLive: 3 }),
    ]);
    await issued(issueLease(broker, other, ask(otherTask.id)));
    await issued(issueLease(broker, agent, ask(task.id)));
    await issued(issueLease(broker, agent, ask(task.id)));
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error.extensions).toMatchObject({ quota: "reader", limit: "max_live" });
  });
});

describe("trust-file quotas: max_per_minute", () => {
  it("counts a sliding 60 s window and says when a slot frees (Retry-After)", async () => {
    const { broker, task } = await setup([quota({ id: "rate", maxPerMinute: 2 })]);
    const first = await issued(issueLease(broker, agent, ask(task.id)));
    broker.clock.advance(20_000);
    await issued(issueLease(broker, agent, ask(task.id)));
    // Returning a lease does not give back its place in the window.
    await returnLease(broker, agent, first.lease.id);
    broker.clock.advance(10_500);
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error).toMatchObject({
      code: "quota_exceeded",
      extensions: { quota: "rate", limit: "max_per_minute", max: 2 },
      // The first entered 30.5 s ago: it leaves the window in 29.5 s, so 30 whole seconds.
      retryAfterSeconds: 30,
    });
    broker.clock.advance(29_500);
    await issued(issueLease(broker, agent, ask(task.id)));
  });

  it("does not count aborted write-aheads", async () => {
    const { broker, task } = await setup([quota({ maxPerMinute: 1 })]);
    broker.provider.failNextMint = new LeashError("provider_unavailable", "down");
    await failure(issueLease(broker, agent, ask(task.id)));
    await issued(issueLease(broker, agent, ask(task.id)));
  });
});

describe("what counts nothing", () => {
  it("a refusal (policy, ceiling, quota) counts nothing", async () => {
    let deny = true;
    const policy = new FakePolicy(() => (deny ? { allowed: false, reasons: ["no"] } : {}));
    const { broker, task } = await setup([quota({ maxLive: 1, maxPerMinute: 1 })], { policy });
    expect((await failure(issueLease(broker, agent, ask(task.id)))).code).toBe("policy_denied");
    deny = false;
    const outside = ask(task.id, { intent: { action: "write", resource: "docs/a.md" } });
    expect((await failure(issueLease(broker, agent, outside))).code).toBe("ceiling_exceeded");
    await issued(issueLease(broker, agent, ask(task.id)));
  });

  it("an Idempotency-Key replay returns the lease even when the quota is full, and counts nothing", async () => {
    const { broker, task } = await setup([quota({ maxLive: 1, maxPerMinute: 1 })]);
    const first = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    const replay = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    expect(replay).toMatchObject({ replayed: true, lease: { id: first.lease.id } });
    const [usage] = await broker.leases.quotaUsage(
      [{ quota: "q", pool: "q", live: {}, perMinute: {} }],
      broker.clock.now(),
    );
    expect(usage).toEqual({ live: 1, perMinute: 1, issued: 0 });
  });

  it("an unredeemed step-up counts nothing; redeeming it counts one", async () => {
    const policy = new FakePolicy(() => ({ approvalRequired: true }));
    const { broker, task } = await setup([quota({ maxLive: 1 })], { policy });
    const asked = await issueLease(broker, agent, ask(task.id));
    expect(asked.kind).toBe("approval");
    expect(broker.leases.leases.size).toBe(0);
    if (asked.kind !== "approval") return;
    await decideApproval(broker, security, asked.approval.id, "approved");
    await issued(issueLease(broker, agent, ask(task.id)));
    const again = ask(task.id, { ttlSeconds: 30 });
    expect((await issueLease(broker, agent, again)).kind).toBe("approval");
  });

  // A person's approval is spent by the lease it allowed, not by a request that wrote nothing.
  it("an approved step-up refused by a full quota stays approved until a lease is issued with it", async () => {
    const policy = new FakePolicy((r) => ({ approvalRequired: r.ttlSeconds === 30 }));
    const { broker, task } = await setup([quota({ maxLive: 1 })], { policy });
    const held = await issued(issueLease(broker, agent, ask(task.id)));
    const stepUp = ask(task.id, { ttlSeconds: 30 });
    const asked = await issueLease(broker, agent, stepUp);
    if (asked.kind !== "approval") throw new Error("expected a step-up");
    await decideApproval(broker, security, asked.approval.id, "approved");
    expect((await failure(issueLease(broker, agent, stepUp))).code).toBe("quota_exceeded");
    expect(await broker.approvals.get(asked.approval.id)).toMatchObject({ state: "approved", leaseId: null });
    await returnLease(broker, agent, held.lease.id);
    await revokeLease(revokerOf(broker), held.lease.id);
    const granted = await issued(issueLease(broker, agent, stepUp));
    expect(await broker.approvals.get(asked.approval.id)).toMatchObject({
      state: "redeemed",
      leaseId: granted.lease.id,
    });
  });
});

describe("task quotas", () => {
  async function taskSetup() {
    const broker = fakeBroker();
    const root = await registerTask(broker, orchestrator, {
      id: "root",
      agent: AGENT,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttlSeconds: 600,
      parentId: undefined,
      labels: {},
      quota: { maxLive: 2, maxIssued: 3 },
    });
    return { broker, root: root.task };
  }

  it("max_issued counts what was written ahead, ended or not, and refuses beyond it", async () => {
    const { broker, root } = await taskSetup();
    for (let i = 0; i < 2; i++) {
      const out = await issued(issueLease(broker, agent, ask(root.id)));
      await returnLease(broker, agent, out.lease.id);
      await revokeLease(revokerOf(broker), out.lease.id);
    }
    await issued(issueLease(broker, agent, ask(root.id)));
    const error = await failure(issueLease(broker, agent, ask(root.id)));
    expect(error.extensions).toEqual({ quota: "task:root", limit: "max_issued", max: 3 });
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it("covers the task's descendants, and a sub-task may set only a lower quota", async () => {
    const { broker, root } = await taskSetup();
    const sub = (input: { id: string; maxLive?: number; maxIssued?: number }) =>
      registerTask(broker, agent, {
        id: input.id,
        agent: OTHER,
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttlSeconds: 60,
        parentId: root.id,
        labels: {},
        quota: { maxLive: input.maxLive, maxIssued: input.maxIssued },
      });
    const higher = await failure(sub({ id: "wide", maxLive: 3 }));
    expect(higher).toMatchObject({ code: "invalid_request" });
    expect(higher.message).toContain("quota.max_live may be at most 2");
    expect((await failure(sub({ id: "wide2", maxIssued: 4 }))).message).toContain("max_issued");
    const { task: child } = await sub({ id: "child", maxLive: 1 });

    await issued(issueLease(broker, other, ask(child.id)));
    // The child's own quota (1 live) binds first ...
    expect((await failure(issueLease(broker, other, ask(child.id)))).extensions).toMatchObject({
      quota: "task:child",
      limit: "max_live",
    });
    // ... and its lease counts in the root's pool: one more there fills it (2 live).
    await issued(issueLease(broker, agent, ask(root.id)));
    expect((await failure(issueLease(broker, agent, ask(root.id)))).extensions).toMatchObject({
      quota: "task:root",
      limit: "max_live",
    });
  });

  it("GET shows the quota and its usage over the task and its descendants", async () => {
    const { broker, root } = await taskSetup();
    const out = await issued(issueLease(broker, agent, ask(root.id)));
    await returnLease(broker, agent, out.lease.id);
    await revokeLease(revokerOf(broker), out.lease.id);
    await issued(issueLease(broker, agent, ask(root.id)));
    const view = await getTask(broker, orchestrator, root.id);
    expect(view.task.quota).toEqual({ maxLive: 2, maxIssued: 3 });
    expect(view.quotaUsage).toEqual({ live: 1, issued: 2 });

    const plain = await givenTask(broker, { id: "plain", agent: AGENT });
    expect((await getTask(broker, orchestrator, plain.id)).quotaUsage).toBeNull();
  });

  it("is part of the registration body: the same id with another quota is a conflict", async () => {
    const { broker } = await taskSetup();
    const again = registerTask(broker, orchestrator, {
      id: "root",
      agent: AGENT,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttlSeconds: 600,
      parentId: undefined,
      labels: {},
      quota: { maxLive: 5 },
    });
    expect((await failure(again)).code).toBe("conflict");
  });
});

describe("standings: exposure and metrics", () => {
  it("lists the quotas binding an agent with its pool's usage, and every quota's total", async () => {
    const { broker, task, otherTask } = await setup([
      quota({ id: "mine", match: { agent: AGENT }, maxLive: 5 }),
      quota({ id: "per-agent", perAgent: true, maxLive: 2, maxPerMinute: 10 }),
      quota({ id: "others", match: { agentPrefix: "spiffe://example.org/agent/b" }, maxLive: 5 }),
      quota({ id: "aws", match: { provider: "aws-sts" }, maxLive: 5 }),
    ]);
    await issued(issueLease(broker, agent, ask(task.id)));
    await issued(issueLease(broker, other, ask(otherTask.id)));
    await issued(issueLease(broker, other, ask(otherTask.id)));

    const mine = await agentQuotas(broker, AGENT);
    expect(mine.map((s) => [s.quota.id, s.usage])).toEqual([
      ["mine", { live: 1, perMinute: 0, issued: 0 }],
      ["per-agent", { live: 1, perMinute: 1, issued: 0 }],
      ["aws", { live: 0, perMinute: 0, issued: 0 }],
    ]);
    const totals = await quotaTotals(broker);
    expect(totals.map((s) => [s.quota.id, s.usage.live, s.usage.perMinute])).toEqual([
      ["mine", 1, 0],
      // A per-agent quota's total keeps live leases only; its windows are each agent's.
      ["per-agent", 3, 0],
      ["others", 2, 0],
      ["aws", 0, 0],
    ]);
  });
});
