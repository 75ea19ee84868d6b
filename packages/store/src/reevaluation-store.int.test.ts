import { randomUUID } from "node:crypto";
import type { Denial, Lease, PolicySetSnapshot } from "@leash/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { RedisAuditLog, type StoredAuditEvent } from "./audit-log.js";
import { connectRedis } from "./connection.js";
import { createStore, type Store } from "./index.js";
import { keyspace } from "./keys.js";
import { RedisLeaseStore } from "./lease-store.js";
import { RedisPolicySetStore, RedisReevaluationStore } from "./reevaluation-store.js";
import { loadScripts, type Scripts } from "./scripts.js";
import { RedisTaskStore } from "./task-store.js";
import { activationFixture, leaseFixture, taskFixture } from "./testing/fixtures.js";

/**
 * Re-evaluations in Redis: progress by cursor, denials recorded once with their revocation in the same script,
 * the cursor moved only from where it was, one `reevaluation.completed`, and scripts that touch only the keys they
 * declare (Redis Cluster).
 */
const url = inject("redisUrl");
const redis = connectRedis(url, { mode: "worker" });
const now = Date.now();
const DAY = 86_400_000;

let prefix: string;
let store: Store;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  store = createStore(redis, prefix);
});

async function live(taskId: string, overrides: Partial<Lease> = {}, activate = true): Promise<Lease> {
  const lease = leaseFixture(taskId, overrides, now);
  await store.leases.createPending(lease);
  if (activate) await store.leases.activate(lease.id, activationFixture(now));
  return lease;
}

async function receipts(): Promise<StoredAuditEvent[]> {
  const audit = new RedisAuditLog(redis, prefix);
  await audit.drain();
  return audit.read("-", 1000);
}

const deny = (lease: Lease, settle = false, policies = ["no-writes"]): Denial => ({
  lease,
  policies,
  settle,
});

describe("RedisReevaluationStore", () => {
  it("reads the leases pending at the start, then the live ones by deadline, then every lease by id", async () => {
    const task = taskFixture({}, now);
    await store.tasks.create(task);
    const a = await live(task.id, { expiresAt: now + 50_000 });
    const b = await live(task.id, { expiresAt: now + 50_000 });
    const c = await live(task.id, { expiresAt: now + 40_000 });
    const pending = await live(task.id, {}, false);
    const r = store.reevaluations;
    await r.create({
      id: "re_1",
      trigger: "request",
      dryRun: false,
      requestedBy: "s",
      policySet: "p",
      createdAt: now,
    });
    const begun = await r.begin("re_1", now + 5);
    expect(begun).toEqual({ phase: "pending", cursor: "", frozenAt: now + 5 });
    expect(await r.begin("re_1", now + 99)).toEqual(begun);
    const first = await r.next(begun, 10, begun.frozenAt);
    expect(first.ids).toEqual([pending.id]);
    expect((await r.next(first.to, 10, begun.frozenAt)).ids).toEqual([]);
    // Live, by deadline; a page never ends inside a group of equal deadlines.
    const page = await r.next({ phase: "live", cursor: "" }, 2, begun.frozenAt);
    expect(page.ids).toEqual([c.id, ...[a.id, b.id].sort()]);
    expect((await r.next(page.to, 2, begun.frozenAt)).ids).toEqual([]);
    const tail = await r.next({ phase: "tail", cursor: "" }, 10, begun.frozenAt);
    expect(tail.ids).toEqual([a.id, b.id, c.id, pending.id].sort());
    const recorded = await r.leases([a.id, "ls_missing"]);
    expect(recorded).toEqual([
      {
        id: a.id,
        state: "active",
        taskId: task.id,
        agent: a.agent,
        provider: "leash-jwt",
        target: null,
        intent: a.intent,
        issuedAt: a.issuedAt,
        expiresAt: a.expiresAt,
        breakGlass: false,
        requestedTtlSeconds: null,
        policySet: null,
      },
    ]);
    expect(await r.advance("re_1", begun, { phase: "live", cursor: "" }, 1, [pending.id])).toBe(true);
    expect(await r.seen("re_1", [pending.id, a.id])).toEqual(new Set([pending.id]));
  });

  it("records each denial once, orders it with its policies in the same step and settles task tokens at once", async () => {
    const task = taskFixture({}, now);
    await store.tasks.create(task);
    const jwt = await live(task.id);
    const vault = await live(task.id, { provider: "vault", target: "kv" });
    const pending = await live(task.id, {}, false);
    const r = store.reevaluations;
    await r.create({
      id: "re_2",
      trigger: "reload",
      dryRun: false,
      requestedBy: "leash",
      policySet: "p",
      createdAt: now,
    });
    await r.begin("re_2", now);
    const denials = [deny(jwt, true), deny(vault, false, ["no-writes", "no-vault"]), deny(pending)];
    expect(await r.deny("re_2", denials, { actor: "leash", at: now + 1, dryRun: false })).toEqual([vault.id]);
    // Done again (a chunk after a crash): nothing is counted or ordered twice.
    expect(await r.deny("re_2", denials, { actor: "leash", at: now + 2, dryRun: false })).toEqual([]);
    expect(await r.denied("re_2", [jwt.id, vault.id, "ls_other"])).toEqual(new Set([jwt.id, vault.id]));
    expect(await r.get("re_2")).toMatchObject({
      denied: 3,
      revoked: 3,
      byPolicy: { "no-writes": 3, "no-vault": 1 },
    });
    expect(await store.leases.get(jwt.id)).toMatchObject({
      state: "revoked",
      revokeReason: "policy_changed",
    });
    expect(await store.leases.get(vault.id)).toMatchObject({
      state: "revoking",
      revokeReason: "policy_changed",
    });
    expect(await store.leases.activate(pending.id, activationFixture(now))).toBe("revoke");
    expect(await store.leases.get(pending.id)).toMatchObject({
      state: "revoking",
      revokeReason: "policy_changed",
    });
    await store.leases.markRevoked(vault.id, now + 3);
    const events = await receipts();
    const receipt = events.find((e) => e.leaseId === vault.id && e.type === "lease.revoked");
    expect(receipt).toMatchObject({
      cause: "policy_changed",
      actor: "leash",
      policies: ["no-writes", "no-vault"],
      orderedAt: now + 1,
    });
    expect(events.filter((e) => e.leaseId === jwt.id && e.type === "lease.revoked")).toHaveLength(1);
  });

  it("moves the cursor only from where it was, and completes once with one audit event", async () => {
    const r = store.reevaluations;
    await r.create({
      id: "re_3",
      trigger: "reload",
      dryRun: false,
      requestedBy: "leash",
      policySet: "p",
      createdAt: now,
    });
    const start = await r.begin("re_3", now);
    const to = { phase: "live" as const, cursor: "1700000000000" };
    expect(await r.advance("re_3", start, to, 7, [])).toBe(true);
    expect(await r.advance("re_3", start, to, 7, [])).toBe(false);
    expect(await r.begin("re_3", now)).toMatchObject(to);
    expect(await r.complete("re_3", now + 50, { state: "done" }, DAY)).toBe(true);
    expect(await r.complete("re_3", now + 60, { state: "done" }, DAY)).toBe(false);
    expect(await r.advance("re_3", to, { phase: "tail", cursor: "x" }, 1, [])).toBe(false);
    expect(await r.get("re_3")).toMatchObject({ state: "done", checked: 7, completedAt: now + 50 });
    const completed = (await receipts()).filter((e) => e.type === "reevaluation.completed");
    expect(completed).toEqual([
      expect.objectContaining({
        actor: "leash",
        outcome: "ok",
        detail: expect.objectContaining({ id: "re_3", trigger: "reload", checked: 7, denied: 0, revoked: 0 }),
      }),
    ]);
    expect((await r.list(10)).map((run) => run.id)).toEqual(["re_3"]);
    expect(await redis.pttl(`${prefix}reeval:re_3`)).toBeGreaterThan(DAY - 60_000);
  });

  it("counts a dry run's denials and keeps a sample of 20, ordering nothing and listing nothing", async () => {
    const task = taskFixture({}, now);
    await store.tasks.create(task);
    const leases = await Promise.all(Array.from({ length: 25 }, () => live(task.id)));
    const r = store.reevaluations;
    await r.create({
      id: "re_4",
      trigger: "request",
      dryRun: true,
      requestedBy: "s",
      policySet: "p",
      createdAt: now,
    });
    await r.begin("re_4", now);
    expect(
      await r.deny(
        "re_4",
        leases.map((l) => deny(l, true)),
        { actor: "s", at: now, dryRun: true },
      ),
    ).toEqual([]);
    expect(await r.get("re_4")).toMatchObject({ dryRun: true, denied: 25, revoked: 0 });
    const sample = await r.sample("re_4", 20);
    expect(sample).toHaveLength(20);
    expect(sample[0]).toMatchObject({ agent: leases[0]?.agent, taskId: task.id, policies: ["no-writes"] });
    expect((await store.leases.get(leases[0]?.id ?? ""))?.state).toBe("active");
    await r.complete("re_4", now, { state: "done" }, DAY);
    expect((await receipts()).filter((e) => e.type === "reevaluation.completed")).toEqual([]);
    expect(await r.list(10)).toEqual([]);
  });

  it("reads tasks and the live counts per agent", async () => {
    const task = taskFixture({ labels: { team: "a" } }, now);
    await store.tasks.create(task);
    await live(task.id);
    await live(task.id, {}, false);
    expect(await store.reevaluations.tasks([task.id, "tk_missing"])).toEqual([
      {
        id: task.id,
        agent: task.agent,
        state: "active",
        deadline: task.deadline,
        depth: 0,
        labels: { team: "a" },
        parentId: null,
      },
    ]);
    expect(await store.reevaluations.liveCounts()).toEqual(new Map([[task.agent, 2]]));
  });
});

describe("RedisPolicySetStore", () => {
  const set = (id: string): PolicySetSnapshot => ({ id, schema: "s", files: { "a.cedar": id } });

  it("keeps the loaded set for good, the replaced and candidate sets for a while", async () => {
    const sets = store.policySets;
    expect(await sets.current()).toBeNull();
    expect(await sets.put(set("ps_a"), { current: true, keepMs: DAY })).toBe(true);
    expect(await sets.put(set("ps_a"), { current: true, keepMs: DAY })).toBe(false);
    expect(await sets.put(set("ps_cand"), { current: false, keepMs: 60_000 })).toBe(false);
    expect(await sets.get("ps_cand")).toEqual(set("ps_cand"));
    expect(await redis.pttl(`${prefix}policyset:ps_a`)).toBe(-1);
    expect(await sets.put(set("ps_b"), { current: true, keepMs: DAY })).toBe(true);
    expect(await sets.current()).toBe("ps_b");
    expect(await redis.pttl(`${prefix}policyset:ps_a`)).toBeGreaterThan(DAY - 60_000);
    expect(await redis.pttl(`${prefix}policyset:ps_b`)).toBe(-1);
    // A candidate equal to the loaded set leaves it unexpiring.
    await sets.put(set("ps_b"), { current: false, keepMs: 1 });
    expect(await redis.pttl(`${prefix}policyset:ps_b`)).toBe(-1);
  });
});

describe("re-evaluation scripts touch only the keys they declare (Redis Cluster safety)", () => {
  const admin = connectRedis(url, { mode: "worker" });
  const user = `reeval-scripts-${randomUUID()}`;
  let checked: Redis;
  const glob = (key: string) => `~${key.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}`;
  beforeAll(async () => {
    await admin.call("ACL", "SETUSER", user, "on", "nopass", "allkeys", "+@all");
    checked = new Redis(url, { username: user, password: "unused", maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await checked?.quit();
    await admin.call("ACL", "DELUSER", user);
    await admin.quit();
  });

  function declaredKeysOnly(scripts: Scripts): Scripts {
    const wrapped = Object.entries(scripts).map(([name, run]) => [
      name,
      async (keys: readonly string[], args: readonly (string | number)[]) => {
        await admin.call("ACL", "SETUSER", user, "resetkeys", ...keys.map(glob));
        try {
          return await run(keys, args);
        } finally {
          await admin.call("ACL", "SETUSER", user, "allkeys");
        }
      },
    ]);
    return Object.fromEntries(wrapped) as Scripts;
  }

  it("begin, deny, advance, complete and policy sets", async () => {
    const keys = keyspace(`t:{${randomUUID()}}:`);
    const plain = loadScripts(checked);
    const scripts = declaredKeysOnly(plain);
    const leases = new RedisLeaseStore(checked, keys, plain);
    const task = taskFixture({}, now);
    await new RedisTaskStore(checked, keys, plain).create(task);
    const [token, other, pending] = [
      leaseFixture(task.id),
      leaseFixture(task.id, { provider: "vault" }),
      leaseFixture(task.id),
    ];
    for (const l of [token, other, pending]) await leases.createPending(l);
    for (const l of [token, other]) await leases.activate(l.id, activationFixture(now));
    const r = new RedisReevaluationStore(checked, keys, scripts);
    for (const dryRun of [false, true]) {
      const id = `re_${dryRun}`;
      await r.create({ id, trigger: "reload", dryRun, requestedBy: "leash", policySet: "p", createdAt: now });
      const start = await r.begin(id, now);
      expect((await r.leases([token.id, other.id, pending.id])).map((l) => l.id)).toEqual([
        token.id,
        other.id,
        pending.id,
      ]);
      await r.deny(id, [deny(token, true), deny(other), deny(pending)], { actor: "leash", at: now, dryRun });
      expect(await r.advance(id, start, { phase: "tail", cursor: "" }, 3, [token.id])).toBe(true);
      expect(await r.complete(id, now, { state: "done" }, DAY)).toBe(true);
    }
    const sets = new RedisPolicySetStore(checked, keys, scripts);
    await sets.put({ id: "ps_1", schema: "", files: {} }, { current: true, keepMs: DAY });
    await sets.put({ id: "ps_2", schema: "", files: {} }, { current: true, keepMs: DAY });
    await sets.put({ id: "ps_3", schema: "", files: {} }, { current: false, keepMs: DAY });
    expect(await sets.current()).toBe("ps_2");
  });
});

afterAll(() => redis.quit());
