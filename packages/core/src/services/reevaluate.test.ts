import { describe, expect, it } from "vitest";
import type { Lease } from "../lease.js";
import { SESSION_INTENT } from "../oauth/session.js";
import type { PolicyRequest } from "../policy.js";
import type { LiveDecision, RecordedLease } from "../reevaluation.js";
import {
  FakeLiveDecider,
  FakeProvider,
  fakeBroker,
  givenLease,
  givenTask,
  InMemoryPolicySetStore,
  InMemoryReevaluationStore,
} from "../testing/index.js";
import {
  REEVALUATION_CHUNK,
  type ReevaluationDeps,
  runReevaluation,
  startReevaluation,
} from "./reevaluate.js";

const SET = "ps_next";
const keep: LiveDecision = { revoke: false, policies: [] };

/** Denies writes (naming `no-writes`) and keeps the rest. */
const noWrites = (r: PolicyRequest): LiveDecision =>
  r.intent.action === "write" ? { revoke: true, policies: ["no-writes"] } : keep;

async function setup(options: { jwt?: boolean } = {}) {
  const providers = options.jwt ? [new FakeProvider({ name: "leash-jwt", revokesInStore: true })] : [];
  const broker = fakeBroker({ providers });
  const reevaluations = new InMemoryReevaluationStore(broker.leases, broker.tasks);
  const policySets = new InMemoryPolicySetStore();
  await policySets.put({ id: SET, schema: "", files: {} }, { current: true, keepMs: 0 });
  const started: string[] = [];
  const deps: ReevaluationDeps = {
    reevaluations,
    policySets,
    queue: {
      revoke: (orders) => broker.queue.revoke(orders),
      startReevaluation: async (id) => {
        started.push(id);
      },
    },
    providers: broker.providers,
    audit: broker.audit,
    clock: broker.clock,
    config: { defaultTtlSeconds: 300, environment: "test", maxDelegationDepth: 3, retentionMs: 60_000 },
  };
  const task = await givenTask(broker, { labels: { team: "a" } });
  return { broker, deps, reevaluations, policySets, task, started };
}

async function start(deps: ReevaluationDeps, dryRun = false, policySet = SET) {
  return startReevaluation(deps, { trigger: "request", requestedBy: "spiffe://sec", policySet, dryRun });
}

describe("runReevaluation", () => {
  it("never decides a token for /mcp, which no policy decided (it has no intent)", async () => {
    const { broker, deps, task } = await setup();
    const session = await givenLease(broker, {
      taskId: task.id,
      provider: "oauth",
      target: "https://leash.example/mcp",
      intent: { ...SESSION_INTENT },
    });
    const decider = new FakeLiveDecider(SET, () => ({ revoke: true, policies: ["deny-all"] }));
    const out = await runReevaluation(deps, await start(deps), decider);
    expect(out).toMatchObject({ kind: "finished", run: { denied: 0 } });
    expect(decider.decided).toEqual([]);
    expect(broker.leases.leases.get(session.id)?.state).toBe("active");
  });

  it("decides every live lease with its recorded request and the task and counts of now, and revokes the denied", async () => {
    const { broker, deps, task, started } = await setup();
    const read = await givenLease(broker, { taskId: task.id, requestedTtlSeconds: 120 });
    const write = await givenLease(broker, {
      taskId: task.id,
      intent: { action: "write", resource: "docs/a.md" },
    });
    const pending = await givenLease(broker, {
      taskId: task.id,
      state: "pending",
      intent: { action: "write", resource: "docs/b.md" },
    });
    broker.clock.advance(30_000);
    const decider = new FakeLiveDecider(SET, noWrites);
    const run = await start(deps);
    expect(started).toEqual([run.id]);

    const out = await runReevaluation(deps, run, decider);

    expect(out).toMatchObject({
      kind: "finished",
      run: { state: "done", checked: 3, denied: 2, revoked: 2 },
    });
    if (out.kind !== "finished") return;
    expect(out.run.byPolicy).toEqual({ "no-writes": 2 });
    const asked = decider.decided.find(
      (r) => r.intent.resource === "docs/a.md" && r.intent.action === "read",
    );
    expect(asked).toMatchObject({
      agent: { id: read.agent },
      ttlSeconds: 120,
      task: { id: task.id, labels: { team: "a" }, remainingSeconds: 3600 - 30, chain: [] },
      // The agent's other live leases: three live, this one not counted.
      exposure: { liveLeases: 2 },
      now: new Date(broker.clock.now()),
    });
    // An older lease without a recorded TTL asks with the one it was granted.
    expect(decider.decided.find((r) => r.intent.resource === "docs/b.md")?.ttlSeconds).toBe(60);
    expect(broker.leases.leases.get(write.id)).toMatchObject({
      state: "revoking",
      revokeReason: "policy_changed",
    });
    expect(broker.leases.leases.get(read.id)?.state).toBe("active");
    expect(broker.queue.orders.map((o) => o.leaseId)).toEqual([write.id]);
    // The pending lease is flagged: its activation revokes it.
    expect(await broker.leases.activate(pending.id, { handle: {}, providerExpiresAt: 0, scope: [] })).toBe(
      "revoke",
    );
  });

  it("settles at once the leases whose credentials die in the store, and reports them", async () => {
    const { broker, deps, task } = await setup({ jwt: true });
    const token = await givenLease(broker, {
      taskId: task.id,
      provider: "leash-jwt",
      intent: { action: "write", resource: "docs/a.md" },
    });
    const settled: RecordedLease[] = [];
    const out = await runReevaluation(deps, await start(deps), new FakeLiveDecider(SET, noWrites), {
      settled: (leases) => settled.push(...leases),
    });
    expect(out).toMatchObject({ run: { denied: 1, revoked: 1 } });
    expect(broker.leases.leases.get(token.id)).toMatchObject({
      state: "revoked",
      revokeReason: "policy_changed",
    });
    expect(settled.map((l) => l.id)).toEqual([token.id]);
    expect(broker.queue.orders).toEqual([]);
  });

  it("previews without revoking in a dry run", async () => {
    const { broker, deps, reevaluations, task } = await setup();
    const write = await givenLease(broker, { taskId: task.id, intent: { action: "write", resource: "x" } });
    const out = await runReevaluation(deps, await start(deps, true), new FakeLiveDecider(SET, noWrites));
    expect(out).toMatchObject({ run: { state: "done", checked: 1, denied: 1, revoked: 0 } });
    expect(broker.leases.leases.get(write.id)?.state).toBe("active");
    expect(broker.queue.orders).toEqual([]);
    if (out.kind === "finished")
      expect(await reevaluations.sample(out.run.id, 20)).toEqual([
        expect.objectContaining({ leaseId: write.id, taskId: task.id, policies: ["no-writes"] }),
      ]);
  });

  it("decides each distinct request once across chunks", async () => {
    const { broker, deps, task } = await setup();
    for (let i = 0; i < REEVALUATION_CHUNK + 10; i++) await givenLease(broker, { taskId: task.id });
    const decider = new FakeLiveDecider(SET, noWrites);
    const out = await runReevaluation(deps, await start(deps), decider);
    expect(out).toMatchObject({ run: { checked: REEVALUATION_CHUNK + 10, denied: 0 } });
    expect(decider.decided).toHaveLength(1);
  });

  it("leaves alone the leases of ended tasks and the ones already being revoked", async () => {
    const { broker, deps, task } = await setup();
    const other = await givenTask(broker, { id: "tk_other" });
    await givenLease(broker, { taskId: other.id, intent: { action: "write", resource: "x" } });
    await broker.tasks.end(other.id, "completed", broker.clock.now(), "o");
    await givenLease(broker, { taskId: task.id, intent: { action: "write", resource: "y" } });
    const out = await runReevaluation(deps, await start(deps), new FakeLiveDecider(SET, noWrites));
    expect(out).toMatchObject({ run: { checked: 1, denied: 1, revoked: 1 } });
  });

  it("resumes after a crash between a chunk's orders and its cursor without ordering or counting twice", async () => {
    const { broker, deps, reevaluations, task } = await setup();
    for (let i = 0; i < REEVALUATION_CHUNK + 5; i++)
      await givenLease(broker, {
        taskId: task.id,
        intent: { action: i % 2 ? "write" : "read", resource: "x" },
      });
    const run = await start(deps);
    let crashes = 1;
    reevaluations.beforeAdvance = (checked) => {
      if (checked > 0 && crashes-- > 0) throw new Error("worker killed");
    };
    await expect(runReevaluation(deps, run, new FakeLiveDecider(SET, noWrites))).rejects.toThrow("killed");
    const ordersAtCrash = broker.queue.orders.length;
    expect(ordersAtCrash).toBe(REEVALUATION_CHUNK / 2);
    const again = await runReevaluation(deps, run, new FakeLiveDecider(SET, noWrites));
    const denied = Math.floor((REEVALUATION_CHUNK + 5) / 2);
    expect(again).toMatchObject({
      run: { state: "done", checked: REEVALUATION_CHUNK + 5, denied, revoked: denied },
    });
    const ids = broker.queue.orders.map((o) => o.leaseId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(denied);
  });

  it("decides the leases issued under an earlier set while it runs, and not those of its own set", async () => {
    const { broker, deps, task } = await setup();
    await givenLease(broker, { taskId: task.id });
    const run = await start(deps);
    let issued: Lease[] = [];
    const decider = new FakeLiveDecider(SET, noWrites);
    const first = runReevaluation(deps, run, decider, {
      chunkDone: async () => {
        if (issued.length > 0) return;
        broker.clock.advance(1_000);
        issued = [
          await givenLease(broker, {
            id: "ls_zz_old",
            taskId: task.id,
            policySet: "ps_old",
            intent: { action: "write", resource: "old" },
          }),
          await givenLease(broker, {
            id: "ls_zz_new",
            taskId: task.id,
            policySet: SET,
            intent: { action: "write", resource: "new" },
          }),
        ];
      },
    });
    expect(await first).toMatchObject({ run: { checked: 2, denied: 1 } });
    expect(broker.leases.leases.get("ls_zz_old")?.state).toBe("revoking");
    expect(broker.leases.leases.get("ls_zz_new")?.state).toBe("active");
  });

  it("reads no record again in the tail for a lease an earlier phase decided", async () => {
    const { broker, deps, reevaluations, task } = await setup();
    // Issued just now, so the tail (from shortly before the start) walks them all again.
    for (let i = 0; i < 3; i++) await givenLease(broker, { taskId: task.id });
    const read: string[] = [];
    const readLeases = reevaluations.leases.bind(reevaluations);
    reevaluations.leases = (ids) => {
      read.push(...ids);
      return readLeases(ids);
    };
    const out = await runReevaluation(deps, await start(deps), new FakeLiveDecider(SET, noWrites));
    expect(out).toMatchObject({ run: { checked: 3 } });
    expect(read).toHaveLength(3);
  });

  it("stops when a newer set is loaded, naming it", async () => {
    const { broker, deps, policySets, task } = await setup();
    await givenLease(broker, { taskId: task.id, intent: { action: "write", resource: "x" } });
    const run = await start(deps);
    await policySets.put({ id: "ps_newer", schema: "", files: {} }, { current: true, keepMs: 0 });
    const out = await runReevaluation(deps, run, new FakeLiveDecider(SET, noWrites));
    expect(out).toMatchObject({ run: { state: "done", supersededBy: "ps_newer", checked: 0 } });
    expect(broker.queue.orders).toEqual([]);
  });

  it("pauses between chunks when its signal aborts", async () => {
    const { broker, deps, task } = await setup();
    await givenLease(broker, { taskId: task.id });
    const stop = new AbortController();
    stop.abort();
    const run = await start(deps);
    expect(await runReevaluation(deps, run, new FakeLiveDecider(SET, noWrites), {}, stop.signal)).toEqual({
      kind: "paused",
    });
    expect((await deps.reevaluations.get(run.id))?.state).toBe("running");
  });
});
