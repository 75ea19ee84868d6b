import { randomUUID } from "node:crypto";
import { FakeClock } from "@leash/core/testing";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { type Keyspace, keyspace } from "./keys.js";
import { isFeedCursor } from "./oauth.js";
import { taskFixture } from "./testing/fixtures.js";

/**
 * What the OAuth token endpoint keeps in Redis: each agent's tasks (to pick its only active one), the DPoP proofs
 * it has seen (each accepted once, forgotten after its window), and the feed of ended access tokens that resource
 * servers follow by cursor (kept until the tokens have expired).
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

const A = "spiffe://t/agent/a";
let prefix: string;
let keys: Keyspace;
let store: Store;
let clock: FakeClock;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  keys = keyspace(prefix);
  clock = new FakeClock(Date.now());
  store = createStore(redis, prefix, { clock });
});

describe("an agent's active tasks", () => {
  it("lists the agent's active tasks before their deadline, and only the agent's", async () => {
    const now = clock.now();
    const mine = taskFixture({ id: "t-mine", agent: A }, now);
    const other = taskFixture({ id: "t-other", agent: "spiffe://t/agent/b" }, now);
    await store.tasks.create(mine);
    await store.tasks.create(other);
    expect(await store.tasks.activeOf(A, now, 5)).toEqual(["t-mine"]);
  });

  it("drops ended tasks and those past their deadline, and the key expires with the last deadline", async () => {
    const now = clock.now();
    await store.tasks.create(taskFixture({ id: "t-ends", agent: A }, now));
    await store.tasks.create(taskFixture({ id: "t-short", agent: A, deadline: now + 1_000 }, now));
    await store.tasks.create(taskFixture({ id: "t-stays", agent: A }, now));
    await store.tasks.end("t-ends", "completed", now, "spiffe://t/orchestrator");
    expect((await store.tasks.activeOf(A, now, 5)).sort()).toEqual(["t-short", "t-stays"]);
    expect(await store.tasks.activeOf(A, now + 2_000, 5)).toEqual(["t-stays"]);
    expect(await redis.zrange(keys.agentTasks(A), 0, -1)).toEqual(["t-stays"]);
    const ttl = await redis.pttl(keys.agentTasks(A));
    expect(ttl).toBeGreaterThan(3_600_000);
    expect(ttl).toBeLessThanOrEqual(3_660_000);
  });

  it("stops at the limit asked for", async () => {
    for (const id of ["t1", "t2", "t3"]) await store.tasks.create(taskFixture({ id, agent: A }, clock.now()));
    expect(await store.tasks.activeOf(A, clock.now(), 2)).toHaveLength(2);
  });
});

describe("DPoP proofs seen", () => {
  it("accepts a proof once, and forgets it when its window has ended", async () => {
    const until = clock.now() + 300;
    expect(await store.dpopReplay.firstUse("jkt\njti-1", until)).toBe(true);
    expect(await store.dpopReplay.firstUse("jkt\njti-1", until)).toBe(false);
    expect(await store.dpopReplay.firstUse("jkt\njti-2", until)).toBe(true);
    const [key] = await redis.keys(`${prefix}dpop:*`);
    expect(key).not.toContain("jti");
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline && (await redis.exists(key ?? "")))
      await new Promise((r) => setTimeout(r, 20));
    expect(await store.dpopReplay.firstUse("jkt\njti-1", clock.now() + 300)).toBe(true);
  });
});

describe("the feed of ended access tokens", () => {
  const exp = () => Math.floor(clock.now() / 1000) + 300;

  it("pages entries in the order they were recorded, from any cursor", async () => {
    await store.oauthRevocations.record([
      { jti: "ls_1", aud: "https://a.example/mcp", exp: exp() },
      { jti: "ls_2", aud: "https://b.example/", exp: exp() },
    ]);
    await store.oauthRevocations.record([{ jti: "ls_3", aud: "https://a.example/mcp", exp: exp() }]);
    const first = await store.oauthRevocations.read(null, 2);
    expect(first.items.map((e) => e.jti)).toEqual(["ls_1", "ls_2"]);
    expect(first.items[0]).toEqual({ jti: "ls_1", aud: "https://a.example/mcp", exp: exp() });
    expect(first.more).toBe(true);
    const second = await store.oauthRevocations.read(first.cursor, 2);
    expect(second.items.map((e) => e.jti)).toEqual(["ls_3"]);
    expect(second.more).toBe(false);
    const third = await store.oauthRevocations.read(second.cursor, 2);
    expect(third).toEqual({ items: [], cursor: second.cursor, more: false });
  });

  it("starts from an empty feed with a cursor that later reads continue from", async () => {
    const empty = await store.oauthRevocations.read(null, 10);
    expect(empty.items).toEqual([]);
    await store.oauthRevocations.record([{ jti: "ls_9", aud: "https://a.example/", exp: exp() }]);
    expect((await store.oauthRevocations.read(empty.cursor, 10)).items.map((e) => e.jti)).toEqual(["ls_9"]);
  });

  it("drops entries whose tokens expired more than 30 s ago, and never records one", async () => {
    const now = Math.floor(clock.now() / 1000);
    await store.oauthRevocations.record([
      { jti: "ls_old", aud: "https://a.example/", exp: now + 10 },
      { jti: "ls_dead", aud: "https://a.example/", exp: now - 31 },
    ]);
    expect((await store.oauthRevocations.read(null, 10)).items.map((e) => e.jti)).toEqual(["ls_old"]);
    clock.advance(41_000);
    await store.oauthRevocations.record([{ jti: "ls_new", aud: "https://a.example/", exp: exp() }]);
    expect((await store.oauthRevocations.read(null, 10)).items.map((e) => e.jti)).toEqual(["ls_new"]);
  });

  it("refuses a cursor that is not one, a stream id out of range included", async () => {
    for (const cursor of ["1-2-3", "99999999999999999999-0", "1-18446744073709551616"])
      await expect(store.oauthRevocations.read(cursor, 10), cursor).rejects.toThrow(RangeError);
    expect(isFeedCursor("18446744073709551615-0")).toBe(true);
    expect(isFeedCursor("18446744073709551616-0")).toBe(false);
  });

  it("answers the last possible cursor with an empty page (nothing comes after it)", async () => {
    await store.oauthRevocations.record([{ jti: "ls_1", aud: "https://a.example/", exp: exp() }]);
    const last = "18446744073709551615-18446744073709551615";
    expect(await store.oauthRevocations.read(last, 10)).toEqual({ items: [], cursor: last, more: false });
  });
});
