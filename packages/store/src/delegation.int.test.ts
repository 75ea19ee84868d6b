import { randomUUID } from "node:crypto";
import type { Lease, Task } from "@leash/core";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { type Keyspace, keyspace } from "./keys.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

let store: Store;
let keys: Keyspace;
beforeEach(() => {
  const prefix = `t:{${randomUUID()}}:`;
  store = createStore(redis, prefix);
  keys = keyspace(prefix);
});

const A = "spiffe://t/agent/a";
const B = "spiffe://t/agent/b";
const C = "spiffe://t/agent/c";

async function task(agent: string, parent: Task | null = null): Promise<Task> {
  const t = taskFixture({ agent, parentId: parent?.id ?? null, depth: parent ? parent.depth + 1 : 0 });
  expect((await store.tasks.create(t)).created).toBe(true);
  return t;
}

async function live(t: Task, overrides: Partial<Lease> = {}): Promise<Lease> {
  const l = leaseFixture(t.id, { agent: t.agent, ...overrides });
  await store.leases.createPending(l);
  await store.leases.activate(l.id, activationFixture());
  return l;
}

describe("delegation: what an agent delegated, found from the agent", () => {
  it("exposure follows the tree at any depth, with each chain, and leaves other agents' trees alone", async () => {
    const ta = await task(A);
    const tb = await task(B, ta);
    const tc = await task(C, tb);
    const unrelated = await task(B);
    const [la, lb, lc] = [await live(ta), await live(tb), await live(tc)];
    await live(unrelated);

    const seen = await store.leases.exposure(A, true);
    expect(new Map(seen.map((e) => [e.lease.id, e.chain]))).toEqual(
      new Map([
        [la.id, null],
        [lb.id, [A]],
        [lc.id, [B, A]],
      ]),
    );
    expect((await store.leases.exposure(A, false)).map((e) => e.lease.id)).toEqual([la.id]);
    // B's exposure: its own leases (both trees) and c's, delegated from B's task.
    expect(
      (await store.leases.exposure(B, true)).filter((e) => e.chain !== null).map((e) => e.lease.id),
    ).toEqual([lc.id]);
  });

  it("an agent that appears twice in a chain (a -> b -> a -> c) sees each lease once, its own as its own", async () => {
    const ta = await task(A);
    const tb = await task(B, ta);
    const ta2 = await task(A, tb);
    const tc = await task(C, ta2);
    const [own2, lc] = [await live(ta2), await live(tc)];
    const seen = await store.leases.exposure(A, true);
    expect(seen.filter((e) => e.lease.id === own2.id)).toEqual([{ lease: expect.anything(), chain: null }]);
    // c's task was delegated from a's own sub-task directly: the shortest chain.
    expect(seen.find((e) => e.lease.id === lc.id)?.chain).toEqual([A]);
  });

  it("selectors by agent or prefix include delegates only when asked, and every other criterion still applies", async () => {
    const ta = await task(A);
    const tb = await task(B, ta);
    const tc = await task(C, tb);
    const la = await live(ta);
    const lb = await live(tb, { provider: "vault" });
    const lc = await live(tc);
    const ids = async (selector: Parameters<Store["leases"]["selectLive"]>[0]) =>
      (await store.leases.selectLive(selector)).map((l) => l.id).sort();

    expect(await ids({ agent: A })).toEqual([la.id]);
    expect(await ids({ agent: A, includeDelegated: true })).toEqual([la.id, lb.id, lc.id].sort());
    expect(await ids({ agent: A, includeDelegated: true, provider: "vault" })).toEqual([lb.id]);
    expect(await ids({ agentPrefix: "spiffe://t/agent/a", includeDelegated: true })).toEqual(
      [la.id, lb.id, lc.id].sort(),
    );
    expect(await ids({ agentPrefix: "spiffe://t/agent/b", includeDelegated: true })).toEqual(
      [lb.id, lc.id].sort(),
    );
    expect(await ids({ agentPrefix: "spiffe://t/agent/a" })).toEqual([la.id]);
    expect(await ids({ taskId: tc.id, agent: A, includeDelegated: true })).toEqual([lc.id]);
  });

  it("an index entry whose task is gone is dropped when read", async () => {
    const ta = await task(A);
    const tb = await task(B, ta);
    await live(tb);
    await redis.del(keys.task(tb.id));
    expect(await store.leases.exposure(A, true)).toEqual([]);
    expect(await redis.smembers(keys.agentDelegations(A))).toEqual([]);
  });

  it("a sub-task of a task that does not exist is refused", async () => {
    const orphan = taskFixture({ agent: B, parentId: "tk_missing", depth: 1 });
    await expect(store.tasks.create(orphan)).rejects.toMatchObject({ code: "not_found" });
  });
});
