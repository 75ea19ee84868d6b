import { describe, expect, it } from "vitest";
import { LeashError } from "../errors.js";
import { newId } from "../ids.js";
import type { Intent } from "../intent.js";
import { shardInId, withShard } from "../shards.js";
import {
  type FakeBroker,
  FakePolicy,
  FakeProvider,
  fakeBroker,
  givenTask,
  identity,
} from "../testing/index.js";
import { type Issued, type IssueRequest, issueLease } from "./issue-lease.js";
import { decideApproval } from "./step-up.js";

const AGENT = "spiffe://example.org/agent";
const agent = identity(AGENT, "agent");
const security = identity("spiffe://example.org/security", "security");
const READ: Intent = { action: "read", resource: "docs/a.md" };

function ask(taskId: string, overrides: Partial<IssueRequest> = {}): IssueRequest {
  return { taskId, provider: "vault", target: "reader", intent: READ, ttlSeconds: undefined, ...overrides };
}

async function issued(promise: Promise<unknown>): Promise<Issued> {
  const outcome = await promise;
  if ((outcome as Issued).kind !== "issued")
    throw new Error(`expected a lease, got ${JSON.stringify(outcome)}`);
  return outcome as Issued;
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

async function setup(options: Parameters<typeof fakeBroker>[0] = {}) {
  const broker = fakeBroker(options);
  const task = await givenTask(broker);
  broker.log.calls.length = 0;
  return { broker, task };
}

describe("issueLease: the happy path", () => {
  it("writes the lease ahead, mints, activates, audits, and returns the credential once", async () => {
    const { broker, task } = await setup();
    const out = await issued(issueLease(broker, agent, ask(task.id)));
    expect(out.replayed).toBe(false);
    expect(out.lease).toMatchObject({ state: "active", taskId: task.id, agent: AGENT, breakGlass: false });
    expect(out.credential).toEqual({ secret: `s-${out.lease.id}-1` });
    expect(broker.leases.leases.get(out.lease.id)?.state).toBe("active");
    expect(broker.audit.types()).toEqual(["lease.issued"]);
    expect(broker.audit.last("lease.issued")).toMatchObject({ outcome: "ok", leaseId: out.lease.id });
    // Nothing secret goes into the audit.
    expect(JSON.stringify(broker.audit.events)).not.toContain("s-");
  });

  it("writes ahead before minting and activates only after the mint (the order of port calls)", async () => {
    const { broker, task } = await setup();
    await issueLease(broker, agent, ask(task.id));
    expect(broker.log.only("leases.createPending", "provider.mint", "leases.activate", "audit.")).toEqual([
      "leases.createPending",
      "provider.mint",
      "leases.activate",
      "audit.lease.issued",
    ]);
  });

  it("tags the mint with the lease id, its TTL and expiry, and the delegation chain", async () => {
    const { broker, task } = await setup();
    const child = await givenTask(broker, {
      id: "tk_child",
      agent: "spiffe://example.org/sub",
      parentId: task.id,
      depth: 1,
    });
    const out = await issued(
      issueLease(broker, identity("spiffe://example.org/sub", "agent"), ask(child.id, { ttlSeconds: 60 })),
    );
    expect(broker.provider.minted).toEqual([
      {
        leaseId: out.lease.id,
        taskId: child.id,
        agent: "spiffe://example.org/sub",
        target: "reader",
        intent: READ,
        ttlSeconds: 60,
        expiresAt: broker.clock.now() + 60_000,
        issuedAt: broker.clock.now(),
        actorChain: [AGENT],
        scopeHints: [],
      },
    ]);
  });
});

describe("issueLease: denials", () => {
  it("answers someone else's task exactly like an unknown one (404), writing nothing", async () => {
    const { broker, task } = await setup();
    const other = identity("spiffe://example.org/other", "agent");
    const theirs = await failure(issueLease(broker, other, ask(task.id)));
    const unknown = await failure(issueLease(broker, other, ask("tk_missing")));
    expect(theirs.code).toBe("not_found");
    expect(unknown.code).toBe("not_found");
    expect(theirs.message.replace(task.id, "X")).toBe(unknown.message.replace("tk_missing", "X"));
    expect(broker.leases.leases.size).toBe(0);
  });

  it("refuses an ended task and one past its deadline (task_not_active)", async () => {
    const { broker } = await setup();
    const ended = await givenTask(broker, { id: "tk_done", state: "completed" });
    const late = await givenTask(broker, { id: "tk_late", deadline: broker.clock.now() });
    expect((await failure(issueLease(broker, agent, ask(ended.id)))).code).toBe("task_not_active");
    expect((await failure(issueLease(broker, agent, ask(late.id)))).code).toBe("task_not_active");
  });

  it("refuses a provider that is not configured", async () => {
    const { broker, task } = await setup();
    const error = await failure(issueLease(broker, agent, ask(task.id, { provider: "aws-sts" })));
    expect(error.code).toBe("invalid_request");
  });

  it("refuses an intent outside the ceiling, audits the denial and writes nothing", async () => {
    const { broker, task } = await setup();
    const error = await failure(
      issueLease(broker, agent, ask(task.id, { intent: { action: "read", resource: "secrets/k" } })),
    );
    expect(error.code).toBe("ceiling_exceeded");
    expect(broker.audit.types()).toEqual(["lease.denied"]);
    expect(broker.log.only("leases.createPending", "provider.")).toEqual([]);
  });

  it("lets the provider refuse a target before anything is written", async () => {
    const provider = new FakeProvider({
      validate: () => {
        throw new LeashError("unknown_target", "no such role");
      },
    });
    const { broker, task } = await setup({ provider });
    expect((await failure(issueLease(broker, agent, ask(task.id)))).code).toBe("unknown_target");
    expect(broker.leases.leases.size).toBe(0);
  });

  it("refuses what the policy forbids, auditing the decision with its request", async () => {
    const policy = new FakePolicy(() => ({ allowed: false, reasons: ["no-docs"] }));
    const { broker, task } = await setup({ policy });
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error.code).toBe("policy_denied");
    expect(error.reasons).toEqual(["no-docs"]);
    const denied = broker.audit.last("lease.denied");
    expect(denied?.detail).toMatchObject({ reasons: ["no-docs"], decision: "deny" });
    expect(denied?.detail?.policy_request).toMatchObject({ agent: { id: AGENT }, task: { id: task.id } });
    expect(broker.leases.leases.size).toBe(0);
  });

  it("gives the policy the task's remaining time, depth, chain and the agent's live leases", async () => {
    const policy = new FakePolicy();
    const { broker, task } = await setup({ policy });
    await issueLease(broker, agent, ask(task.id));
    await issueLease(broker, agent, ask(task.id));
    expect(policy.requests[1]?.task).toMatchObject({ remainingSeconds: 3600, depth: 0, chain: [] });
    expect(policy.requests[1]?.exposure.liveLeases).toBe(1);
  });
});

describe("issueLease: TTL caps", () => {
  it("takes the default, then the smallest of request, configuration, policy and provider", async () => {
    const cases: Array<[Parameters<typeof fakeBroker>[0], number | undefined, number]> = [
      [{}, undefined, 900],
      [{}, 120, 120],
      [{ config: { maxTtlSeconds: 300 } }, 1000, 300],
      [{ policy: new FakePolicy(() => ({ maxTtlSeconds: 200 })) }, 1000, 200],
      [{ provider: new FakeProvider({ maxTtlSeconds: 100 }) }, 1000, 100],
    ];
    for (const [options, requested, expected] of cases) {
      const { broker, task } = await setup(options);
      const out = await issued(issueLease(broker, agent, ask(task.id, { ttlSeconds: requested })));
      expect((out.lease.expiresAt - out.lease.issuedAt) / 1000).toBe(expected);
    }
  });

  it("never outlives the task's deadline", async () => {
    const { broker } = await setup();
    const task = await givenTask(broker, { id: "tk_short", deadline: broker.clock.now() + 42_500 });
    const out = await issued(issueLease(broker, agent, ask(task.id, { ttlSeconds: 600 })));
    expect(out.lease.expiresAt - out.lease.issuedAt).toBe(42_000);
  });

  it("refuses when less than a second of the task is left", async () => {
    const { broker } = await setup();
    const task = await givenTask(broker, { id: "tk_end", deadline: broker.clock.now() + 900 });
    expect((await failure(issueLease(broker, agent, ask(task.id)))).code).toBe("task_not_active");
  });
});

describe("issueLease: break-glass", () => {
  async function withGrant(broker: FakeBroker, taskId: string, seconds: number) {
    const now = broker.clock.now();
    await broker.breakGlass.open({
      id: "bg_1",
      taskId,
      ceiling: [{ action: "read", resource: "secrets/*" }],
      justification: "incident",
      openedBy: security.subject,
      openedAt: now,
      expiresAt: now + seconds * 1000,
    });
  }
  const SECRET = { action: "read", resource: "secrets/k" };

  it("issues what only the grant covers, marked and capped at the grant's end", async () => {
    const { broker, task } = await setup();
    await withGrant(broker, task.id, 120);
    const out = await issued(issueLease(broker, agent, ask(task.id, { intent: SECRET, ttlSeconds: 600 })));
    expect(out.lease).toMatchObject({ breakGlass: true, breakGlassId: "bg_1" });
    expect(out.lease.expiresAt - out.lease.issuedAt).toBe(120_000);
    expect(broker.audit.last("lease.issued")).toMatchObject({
      outcome: "warning",
      detail: { break_glass: true },
    });
  });

  it("leaves a lease the task's own ceiling covers uncapped by the grant", async () => {
    const { broker, task } = await setup();
    await withGrant(broker, task.id, 120);
    const out = await issued(issueLease(broker, agent, ask(task.id, { ttlSeconds: 600 })));
    expect(out.lease).toMatchObject({ breakGlass: false, breakGlassId: null });
    expect(out.lease.expiresAt - out.lease.issuedAt).toBe(600_000);
  });

  it("refuses when the grant ends in less than a second", async () => {
    const { broker, task } = await setup();
    await withGrant(broker, task.id, 0.5);
    const error = await failure(issueLease(broker, agent, ask(task.id, { intent: SECRET })));
    expect(error.code).toBe("ceiling_exceeded");
  });

  it("re-reads the grant after the write-ahead: closed meanwhile, the lease is aborted and nothing minted", async () => {
    const { broker, task } = await setup();
    await withGrant(broker, task.id, 120);
    const get = broker.breakGlass.get.bind(broker.breakGlass);
    broker.breakGlass.get = async (id) => {
      await broker.breakGlass.close(id, security.subject, broker.clock.now());
      return get(id);
    };
    const error = await failure(issueLease(broker, agent, ask(task.id, { intent: SECRET })));
    expect(error.code).toBe("ceiling_exceeded");
    expect(broker.provider.minted).toEqual([]);
    expect([...broker.leases.leases.values()].map((l) => l.state)).toEqual(["aborted"]);
    expect(broker.log.only("leases.createPending", "breakGlass.get", "leases.abort")).toEqual([
      "leases.createPending",
      "breakGlass.get",
      "leases.abort",
    ]);
    expect(broker.audit.types()).toEqual(["lease.denied"]);
  });
});

describe("issueLease: mint failures", () => {
  it("aborts the lease after a refusal, without reclaiming (nothing exists)", async () => {
    const { broker, task } = await setup();
    broker.provider.failNextMint = new LeashError("provider_rejected", "no");
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error.code).toBe("provider_rejected");
    expect(broker.provider.reclaimed).toEqual([]);
    expect([...broker.leases.leases.values()].map((l) => l.state)).toEqual(["aborted"]);
    expect(broker.audit.last("lease.mint_failed")).toMatchObject({
      outcome: "failed",
      detail: { code: "provider_rejected" },
    });
  });

  it("reclaims before aborting when the outcome is unknown (outage), as provider_unavailable", async () => {
    const { broker, task } = await setup();
    broker.provider.failNextMint = new Error("socket hang up");
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error.code).toBe("provider_unavailable");
    expect(broker.log.only("provider.", "leases.abort")).toEqual([
      "provider.validate",
      "provider.mint",
      "provider.reclaim",
      "leases.abort",
    ]);
    const [lease] = broker.leases.leases.values();
    expect(broker.provider.reclaimed).toEqual([
      expect.objectContaining({ leaseId: lease?.id, handle: null }),
    ]);
    expect(lease?.state).toBe("aborted");
  });

  it("leaves the lease pending for the reconciler when even the reclaim fails", async () => {
    const { broker, task } = await setup();
    broker.provider.failNextMint = new Error("timeout");
    broker.provider.failReclaim = new Error("still down");
    await failure(issueLease(broker, agent, ask(task.id)));
    expect([...broker.leases.leases.values()].map((l) => l.state)).toEqual(["pending"]);
    expect(broker.audit.types()).toEqual(["lease.mint_failed"]);
  });

  it("revokes at once a lease whose task ended while it was being minted", async () => {
    const { broker, task } = await setup();
    broker.provider.onMint = async () => {
      await broker.tasks.end(task.id, "cancelled", broker.clock.now(), "orch");
    };
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error.code).toBe("task_not_active");
    const [lease] = broker.leases.leases.values();
    expect(lease?.state).toBe("revoking");
    expect(broker.queue.orders).toEqual([{ leaseId: lease?.id, reason: "revoked while being issued" }]);
    expect(broker.replay.entries.size).toBe(0);
  });
});

describe("issueLease: idempotent replay", () => {
  it("returns the same credential for the same key and body, minting once", async () => {
    const { broker, task } = await setup();
    const first = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    const again = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    expect(again).toMatchObject({ replayed: true, credential: first.credential });
    expect(again.lease.id).toBe(first.lease.id);
    expect(broker.provider.minted).toHaveLength(1);
    expect(broker.leases.leases.size).toBe(1);
  });

  // A client retrying a request it got the lease for (a lost answer) must get that lease, not a new step-up.
  it("replays a stepped-up request's lease for its key, asking nobody again", async () => {
    const { broker, task } = await setup({
      policy: new FakePolicy(() => ({ approvalRequired: true, reasons: ["needs-a-human"] })),
    });
    const asked = await issueLease(broker, agent, ask(task.id), "key-1");
    if (asked.kind !== "approval") throw new Error("expected a step-up");
    await decideApproval(broker, security, asked.approval.id, "approved");
    const first = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    const again = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    expect(again).toMatchObject({
      replayed: true,
      credential: first.credential,
      lease: { id: first.lease.id },
    });
    expect(broker.approvals.approvals.size).toBe(1);
    // Another key is another request: it needs a person again.
    expect((await issueLease(broker, agent, ask(task.id), "key-2")).kind).toBe("approval");
  });

  it("refuses the same key with another body", async () => {
    const { broker, task } = await setup();
    await issueLease(broker, agent, ask(task.id), "key-1");
    const error = await failure(issueLease(broker, agent, ask(task.id, { ttlSeconds: 5 }), "key-1"));
    expect(error.code).toBe("idempotency_conflict");
  });

  it("mints a fresh copy for a remintable provider once the cached credential is gone", async () => {
    const provider = new FakeProvider({ name: "leash-jwt", remintable: true });
    const { broker, task } = await setup({ provider });
    const request = ask(task.id, { provider: "leash-jwt", target: undefined });
    const first = await issued(issueLease(broker, agent, request, "key-1"));
    broker.replay.entries.clear();
    const again = await issued(issueLease(broker, agent, request, "key-1"));
    expect(again.replayed).toBe(true);
    expect(again.credential).not.toEqual(first.credential);
    expect(provider.minted.map((m) => ({ ...m }))).toEqual([provider.minted[0], provider.minted[0]]);
  });

  it("never delivers a non-remintable secret twice", async () => {
    const { broker, task } = await setup();
    await issueLease(broker, agent, ask(task.id), "key-1");
    broker.replay.entries.clear();
    const error = await failure(issueLease(broker, agent, ask(task.id), "key-1"));
    expect(error.code).toBe("idempotency_conflict");
    expect(broker.provider.minted).toHaveLength(1);
  });

  it("waits for the first request's mint to finish, then replays it", async () => {
    const { broker, task } = await setup();
    let replay: Promise<unknown> | undefined;
    broker.provider.onMint = async () => {
      replay = issueLease(broker, agent, ask(task.id), "key-1");
    };
    const first = await issued(issueLease(broker, agent, ask(task.id), "key-1"));
    const again = await issued(replay ?? Promise.reject(new Error("no replay")));
    expect(again).toMatchObject({ replayed: true, credential: first.credential });
  });

  it("gives up on a lease still pending after the mint timeout of the injected clock (no real waiting)", {
    timeout: 2_000,
  }, async () => {
    const { broker, task } = await setup({ config: { mintTimeoutMs: 60_000 } });
    const started = broker.clock.now();
    broker.provider.onMint = async () => {
      const error = await failure(issueLease(broker, agent, ask(task.id), "key-1"));
      expect(error.code).toBe("idempotency_conflict");
      expect(error.message).toContain("pending");
    };
    await issueLease(broker, agent, ask(task.id), "key-1");
    expect(broker.clock.now() - started).toBeGreaterThanOrEqual(60_000);
  });
});

describe("issueLease: step-up approval", () => {
  const approvalPolicy = () => new FakePolicy(() => ({ approvalRequired: true, reasons: ["needs-a-human"] }));

  it("asks for an approval, waits while it is pending, issues once approved, and only once", async () => {
    const { broker, task } = await setup({ policy: approvalPolicy() });
    const asked = await issueLease(broker, agent, ask(task.id));
    if (asked.kind !== "approval") throw new Error("expected an approval");
    expect(asked.approval).toMatchObject({ state: "pending", reasons: ["needs-a-human"] });
    expect(broker.audit.types()).toEqual(["approval.requested"]);
    expect(broker.leases.leases.size).toBe(0);

    const still = await issueLease(broker, agent, ask(task.id));
    expect(still).toMatchObject({ kind: "approval", approval: { id: asked.approval.id } });

    expect((await failure(decideApproval(broker, agent, asked.approval.id, "approved"))).code).toBe(
      "forbidden",
    );
    await decideApproval(broker, security, asked.approval.id, "approved");
    const out = await issued(issueLease(broker, agent, ask(task.id)));
    expect(broker.audit.last("lease.issued")?.detail).toMatchObject({ approval_id: asked.approval.id });
    expect(broker.approvals.approvals.get(asked.approval.id)).toMatchObject({
      state: "redeemed",
      leaseId: out.lease.id,
    });

    // Redeemed: the next identical request needs a new approval.
    const next = await issueLease(broker, agent, ask(task.id));
    expect(next).toMatchObject({ kind: "approval" });
    if (next.kind === "approval") expect(next.approval.id).not.toBe(asked.approval.id);
  });

  it("refuses once the approval is denied", async () => {
    const { broker, task } = await setup({ policy: approvalPolicy() });
    const asked = await issueLease(broker, agent, ask(task.id));
    if (asked.kind !== "approval") throw new Error("expected an approval");
    await decideApproval(broker, security, asked.approval.id, "denied");
    const error = await failure(issueLease(broker, agent, ask(task.id)));
    expect(error.code).toBe("policy_denied");
    expect(broker.leases.leases.size).toBe(0);
  });
});

describe("issueLease: cancellation", () => {
  it("stops a replay's wait for the first request when its signal is aborted", async () => {
    const { broker, task } = await setup({ config: { mintTimeoutMs: 60_000 } });
    const controller = new AbortController();
    const started = broker.clock.now();
    broker.provider.onMint = async () => {
      broker.clock.sleep = async (ms, signal) => {
        signal?.throwIfAborted();
        broker.clock.advance(ms);
        if (broker.clock.now() - started >= 1_000) controller.abort(new Error("client went away"));
      };
      await expect(
        issueLease(broker, agent, ask(task.id), "key-1", { signal: controller.signal }),
      ).rejects.toThrow("client went away");
      expect(broker.clock.now() - started).toBeLessThan(60_000);
    };
    await issued(issueLease(broker, agent, ask(task.id), "key-1"));
  });
});

describe("issueLease over several shards", () => {
  it("names the task tree's shard in the lease id", async () => {
    const broker = Object.assign(fakeBroker(), { placement: { open: 4 } });
    for (const shard of [0, 3]) {
      const task = await givenTask(broker, { id: withShard(newId("tk"), shard) });
      const out = await issued(issueLease(broker, agent, ask(task.id)));
      expect(shardInId(out.lease.id) ?? 0).toBe(shard);
    }
    const chosen = await givenTask(broker, { id: "chosen-by-orchestrator", shard: 2 });
    expect(shardInId((await issued(issueLease(broker, agent, ask(chosen.id)))).lease.id)).toBe(2);
  });
});
