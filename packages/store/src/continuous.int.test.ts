import { randomUUID } from "node:crypto";
import {
  type CeilingIntent,
  intentWithinCeiling,
  type Lease,
  type NarrowTaskInput,
  type Suspension,
  type Task,
} from "@leash/core";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { RedisAuditLog } from "./audit-log.js";
import { connectRedis } from "./connection.js";
import { createStore, RedisTaskStore, type Store } from "./index.js";
import { type Keyspace, keyspace } from "./keys.js";
import { loadScripts, type Scripts } from "./scripts.js";
import { RedisSuspensionStore } from "./suspension-store.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

/**
 * Narrowing and suspension record the change first, then order the revocations of the leases written ahead before
 * it, with cause and actor; a lease written ahead later is its issuance's to abort (it reads the change again).
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

let prefix: string;
let keys: Keyspace;
let store: Store;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  keys = keyspace(prefix);
  store = createStore(redis, prefix);
});

const A = "spiffe://t/agent/a";
const B = "spiffe://t/agent/b";
const C = "spiffe://t/agent/c";
const ORCH = "spiffe://t/orchestrator";
const SEC = "spiffe://t/security/sam";
const WIDE: CeilingIntent[] = [
  { action: "read", resource: "docs/*" },
  { action: "write", resource: "docs/*" },
];
const READ: CeilingIntent[] = [{ action: "read", resource: "docs/*" }];
const write = { action: "write", resource: "docs/a" };

async function task(agent: string, parent: Task | null = null, ceiling = WIDE): Promise<Task> {
  const t = taskFixture({
    agent,
    ceiling,
    parentId: parent?.id ?? null,
    depth: parent ? parent.depth + 1 : 0,
  });
  await store.tasks.create(t);
  return t;
}

async function lease(t: Task, overrides: Partial<Lease> = {}, active = true): Promise<Lease> {
  const l = leaseFixture(t.id, { agent: t.agent, ...overrides });
  await store.leases.createPending(l);
  if (active) await store.leases.activate(l.id, activationFixture());
  return l;
}

const narrowing = (t: Task, to: CeilingIntent[], from = t.ceiling): NarrowTaskInput => ({
  taskId: t.id,
  from,
  to,
  at: 1_000,
  actor: ORCH,
  outside: (l) => !intentWithinCeiling(l.intent, to),
});

/** A store whose named script first runs `before` (a change landing between the read and the script). */
function racing(name: "narrowFence" | "narrowTask" | "suspendAgent", before: () => Promise<void>): Scripts {
  const scripts = loadScripts(redis);
  let once = false;
  return {
    ...scripts,
    [name]: async (k: readonly string[], a: readonly (string | number)[]) => {
      if (!once) {
        once = true;
        await before();
      }
      return scripts[name](k, a);
    },
  };
}

async function field(l: Lease, name: string) {
  return redis.hget(keys.lease(l.id), name);
}

describe("narrow_fence.lua and narrow_task.lua", () => {
  it("replaces the ceiling and orders the tree's leases outside it revoking, with cause, actor and instant", async () => {
    const root = await task(A);
    const child = await task(B, root);
    const grand = await task(C, child);
    const outRoot = await lease(root, { intent: write });
    const inRoot = await lease(root);
    const outGrand = await lease(grand, { intent: write });
    const outPending = await lease(child, { intent: write }, false);
    const out = await store.tasks.narrow(narrowing(root, READ));
    expect(out).toMatchObject({ kind: "narrowed", task: { id: root.id, ceiling: READ } });
    if (out?.kind !== "narrowed") throw new Error("not narrowed");
    expect(out.revoked.sort()).toEqual([outRoot.id, outGrand.id, outPending.id].sort());
    expect(out.due.sort()).toEqual([outRoot.id, outGrand.id].sort());
    expect((await store.tasks.get(root.id))?.ceiling).toEqual(READ);
    for (const l of [outRoot, outGrand]) {
      expect(await store.leases.get(l.id)).toMatchObject({
        state: "revoking",
        revokeReason: "ceiling_narrowed",
        revokeRequestedAt: 1_000,
      });
      expect(await field(l, "by")).toBe(ORCH);
      expect(await redis.zscore(keys.deadline, l.id)).toBe("1000");
    }
    expect((await store.leases.get(inRoot.id))?.state).toBe("active");
    // The pending one is revoked by its activation, with the narrowing's order.
    expect(await store.leases.activate(outPending.id, activationFixture())).toBe("revoke");
    expect(await store.leases.get(outPending.id)).toMatchObject({ revokeReason: "ceiling_narrowed" });
  });

  it("writes the lease.revoked receipt with the narrowing's cause and actor once the lease is settled", async () => {
    const root = await task(A);
    const l = await lease(root, { intent: write });
    await store.tasks.narrow(narrowing(root, READ));
    await store.leases.settle(l.id, 2_000, "revoked");
    const audit = new RedisAuditLog(redis, prefix);
    await audit.drain();
    const receipt = (await audit.tail(10)).find((e) => e.leaseId === l.id);
    expect(receipt).toMatchObject({
      type: "lease.revoked",
      cause: "ceiling_narrowed",
      actor: ORCH,
      orderedAt: 1_000,
      confirmedAt: 2_000,
    });
  });

  it("is idempotent: the same narrowing again revokes nothing more", async () => {
    const root = await task(A);
    await lease(root, { intent: write });
    await store.tasks.narrow(narrowing(root, READ));
    const again = await store.tasks.narrow(narrowing(root, READ, READ));
    expect(again).toMatchObject({ kind: "narrowed", revoked: [], due: [] });
  });

  it("changes nothing when the ceiling is no longer the one judged against, or the task has ended", async () => {
    const root = await task(A);
    const l = await lease(root, { intent: write });
    expect(await store.tasks.narrow(narrowing(root, READ, READ))).toEqual({ kind: "changed" });
    expect((await store.leases.get(l.id))?.state).toBe("active");
    await store.tasks.end(root.id, "completed", 500, ORCH);
    expect(await store.tasks.narrow(narrowing(root, READ))).toMatchObject({
      kind: "not_active",
      task: { state: "completed" },
    });
    expect(await store.tasks.narrow(narrowing({ ...root, id: "tk_unknown" }, READ))).toBeNull();
  });

  it("revokes a lease written ahead just before the new ceiling is recorded: the tree is read after it", async () => {
    const root = await task(A);
    const child = await task(B, root);
    let late: Lease | undefined;
    const tasks = new RedisTaskStore(
      redis,
      keys,
      racing("narrowFence", async () => {
        late = await lease(child, { intent: write }, false);
      }),
    );
    const out = await tasks.narrow(narrowing(root, READ));
    if (!late || out?.kind !== "narrowed") throw new Error("no race");
    expect(out.revoked).toEqual([late.id]);
    expect(await field(late, "cancel")).toBe("ceiling_narrowed");
  });

  it("follows a sub-task registered just before the new ceiling is recorded", async () => {
    const root = await task(A);
    let late: Lease | undefined;
    const tasks = new RedisTaskStore(
      redis,
      keys,
      racing("narrowFence", async () => {
        late = await lease(await task(B, root), { intent: write });
      }),
    );
    const out = await tasks.narrow(narrowing(root, READ));
    if (!late || out?.kind !== "narrowed") throw new Error("no race");
    expect(out.due).toEqual([late.id]);
    expect((await store.leases.get(late.id))?.state).toBe("revoking");
  });

  it("is not held off by an agent that keeps issuing: what is written ahead after the ceiling is recorded sees it", async () => {
    const root = await task(A);
    const child = await task(B, root);
    const scripts = loadScripts(redis);
    let written = 0;
    const keepIssuing = async () => {
      // A request of the delegate's writes its lease ahead while the ceiling it reads still allows it.
      if (intentWithinCeiling(write, (await store.tasks.get(root.id))?.ceiling ?? [])) {
        await lease(child, { intent: write }, false);
        written += 1;
      }
    };
    const tasks = new RedisTaskStore(redis, keys, {
      ...scripts,
      narrowFence: async (k, a) => {
        await keepIssuing();
        return scripts.narrowFence(k, a);
      },
      narrowTask: async (k, a) => {
        await keepIssuing();
        return scripts.narrowTask(k, a);
      },
    });
    const out = await tasks.narrow(narrowing(root, READ));
    if (out?.kind !== "narrowed") throw new Error("not narrowed");
    expect(written).toBe(1);
    expect(out.revoked).toHaveLength(1);
  });
});

describe("suspend_agent.lua", () => {
  const suspension = (agent: string, overrides: Partial<Suspension> = {}): Suspension => ({
    agent,
    reason: "incident 7",
    until: null,
    by: SEC,
    at: 3_000,
    ...overrides,
  });

  it("records the suspension and orders the agent's and its delegates' live leases revoking, any depth", async () => {
    const ta = await task(A);
    const tb = await task(B, ta);
    const tc = await task(C, tb);
    const bystander = await task(B);
    const own = await lease(ta);
    const pending = await lease(ta, {}, false);
    const sub = await lease(tb);
    const subSub = await lease(tc);
    const other = await lease(bystander);
    const out = await store.suspensions.suspend(suspension(A), true);
    expect(out.previous).toBeNull();
    expect(out.revoked.sort()).toEqual([own.id, pending.id, sub.id, subSub.id].sort());
    expect(out.due.sort()).toEqual([own.id, sub.id, subSub.id].sort());
    for (const l of [own, sub, subSub]) {
      expect(await store.leases.get(l.id)).toMatchObject({
        state: "revoking",
        revokeReason: "agent_suspended",
        revokeRequestedAt: 3_000,
      });
      expect(await field(l, "by")).toBe(SEC);
    }
    expect(await field(pending, "cancel")).toBe("agent_suspended");
    expect((await store.leases.get(other.id))?.state).toBe("active");
    expect(await store.suspensions.get(A)).toEqual(suspension(A));
  });

  it("without delegates revokes only the agent's own leases", async () => {
    const ta = await task(A);
    const own = await lease(ta);
    const sub = await lease(await task(B, ta));
    const out = await store.suspensions.suspend(suspension(A), false);
    expect(out.revoked).toEqual([own.id]);
    expect((await store.leases.get(sub.id))?.state).toBe("active");
  });

  it("replaces a suspension, returning the previous one, and revokes only what is newly live", async () => {
    const ta = await task(A);
    await lease(ta);
    await store.suspensions.suspend(suspension(A), true);
    const fresh = await lease(ta);
    const out = await store.suspensions.suspend(suspension(A, { reason: "worse", until: 9_000 }), true);
    expect(out.previous).toEqual(suspension(A));
    expect(out.revoked).toEqual([fresh.id]);
    expect(await store.suspensions.lapsed(9_000, 10)).toEqual([A]);
    await store.suspensions.suspend(suspension(A), true);
    expect(await store.suspensions.lapsed(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it("revokes a lease written ahead between its read and the script", async () => {
    const ta = await task(A);
    const tb = await task(B, ta);
    let late: Lease | undefined;
    const suspensions = new RedisSuspensionStore(
      redis,
      keys,
      racing("suspendAgent", async () => {
        late = await lease(tb);
      }),
    );
    const out = await suspensions.suspend(suspension(A), true);
    if (!late) throw new Error("no race");
    expect(out.due).toEqual([late.id]);
    expect((await store.leases.get(late.id))?.state).toBe("revoking");
  });

  it("is not held off by an agent that keeps issuing: what is written ahead after the suspension is recorded sees it", async () => {
    const ta = await task(A);
    const scripts = loadScripts(redis);
    let written = 0;
    const suspensions = new RedisSuspensionStore(redis, keys, {
      ...scripts,
      // Before every call, a request of A's writes its lease ahead, as issuance does while A is not suspended.
      suspendAgent: async (k, a) => {
        if (!(await store.suspensions.get(A))) {
          await lease(ta, {}, false);
          written += 1;
        }
        return scripts.suspendAgent(k, a);
      },
    });
    const out = await suspensions.suspend(suspension(A), true);
    expect(out.previous).toBeNull();
    expect(out.revoked).toHaveLength(written);
    expect(await store.suspensions.get(A)).toEqual(suspension(A));
  });

  it("reads any number of agents in one call, honours until, and survives a new connection", async () => {
    await store.suspensions.suspend(suspension(A, { until: 5_000 }), true);
    await store.suspensions.suspend(suspension(B), true);
    expect((await store.suspensions.firstSuspended([C, A], 4_999))?.agent).toBe(A);
    expect(await store.suspensions.firstSuspended([C, A], 5_000)).toBeNull();
    expect(await store.suspensions.firstSuspended([], 0)).toBeNull();
    const other = connectRedis(inject("redisUrl"), { mode: "worker" });
    try {
      const restarted = createStore(other, prefix);
      expect(await restarted.suspensions.get(B)).toEqual(suspension(B));
    } finally {
      await other.quit();
    }
  });

  it("marks a task registered after its agent's or an ancestor's suspension, from another client too, so a write in one step checks the suspensions", async () => {
    const above = await task(A);
    await store.suspensions.suspend(suspension(A), true);
    // Another process's store: nothing in it has heard of the suspension, and no door stands before it here.
    const other = connectRedis(inject("redisUrl"), { mode: "worker" });
    try {
      const late = createStore(other, prefix);
      const own = taskFixture({ agent: A });
      const below = taskFixture({ agent: B, parentId: above.id, depth: 1 });
      // Its parent's agent is not suspended: only the mark inherited from `below` tells.
      const deeper = taskFixture({ agent: C, parentId: below.id, depth: 2 });
      const bystander = taskFixture({ agent: B });
      for (const t of [own, below, deeper, bystander]) await late.tasks.create(t);
      for (const t of [own, below, deeper])
        expect((await late.tasks.get(t.id))?.reachedBySuspension, t.agent).toBe(true);
      expect((await late.tasks.get(bystander.id))?.reachedBySuspension).toBeUndefined();
      // What an issuance under `deeper` sends to its one step, as core's writeActive computes it.
      const levels = await Promise.all([deeper, below, above].map((t) => late.tasks.get(t.id)));
      const standing = {
        tasks: levels.map((l) => ({ id: l?.id ?? "", stamp: l?.stamp ?? 0 })),
        agents: levels[0]?.reachedBySuspension ? [C, B, A] : [],
      };
      const l = leaseFixture(deeper.id, { agent: C, state: "active", ...activationFixture() });
      expect(await late.leases.createActive(l, standing)).toEqual({ refused: "agent_suspended" });
    } finally {
      await other.quit();
    }
  });

  it("lifts once; the worker's lift only once until has come, so a renewal survives it", async () => {
    await store.suspensions.suspend(suspension(A, { until: 5_000 }), true);
    expect(await store.suspensions.lift(A, 4_999)).toBeNull();
    expect(await store.suspensions.lapsed(5_000, 10)).toEqual([A]);
    expect(await store.suspensions.lift(A, 5_000)).toEqual(suspension(A, { until: 5_000 }));
    expect(await store.suspensions.lift(A, 5_000)).toBeNull();
    expect(await store.suspensions.lapsed(5_000, 10)).toEqual([]);
    await store.suspensions.suspend(suspension(B), true);
    expect(await store.suspensions.lift(B, Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(await store.suspensions.lift(B)).toEqual(suspension(B));
    expect(await store.suspensions.get(B)).toBeNull();
  });
});
