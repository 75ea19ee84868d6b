import { waitFor } from "@leash/devstack";
import { connectRedis, type RedisClient } from "@leash/store";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTask, issueLease } from "../support/fixtures.js";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";
import { shardPrefixesOf } from "../support/store.js";

/**
 * Storage is bounded: with LEASH_LEASE_RETENTION_SECONDS=1 the worker removes ended leases, tasks and campaigns
 * (and their index entries) a second after they end, so the store's key count comes back to where it was, while a
 * live lease older than the retention stays. (The minutes-long version is `BENCH_SECTIONS=soak pnpm bench`.)
 */
let stack: Stack;
let redis: RedisClient;
let orch: string;
let security: string;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl"), env: { LEASH_LEASE_RETENTION_SECONDS: "1" } });
  redis = connectRedis(stack.redis, { mode: "worker" });
  orch = await stack.token(ORCHESTRATOR);
  security = await stack.token(SECURITY);
}, 60_000);
afterAll(async () => {
  await redis?.quit();
  await stack?.stop();
});

/**
 * The store's keys, in every shard (the job queues' own keys, under `<prefix>q:`, are BullMQ's to bound; the shard
 * map's followers are the running processes). On a Redis Cluster (`pnpm test:cluster`) SCAN lists one node's keys
 * and the client sends it to any node, so every primary is scanned.
 */
async function storeKeys(): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
  const prefixes = await shardPrefixesOf(redis, stack.prefix);
  const out: string[] = [];
  for (const node of nodes) {
    for (const prefix of prefixes) {
      let cursor = "0";
      do {
        const [next, batch] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
        cursor = next;
        out.push(...batch.filter((k) => !k.startsWith(`${prefix}q:`) && !FIXED.has(k.slice(prefix.length))));
      } while (cursor !== "0");
    }
  }
  return out.sort();
}

/**
 * Keys each shard holds once it has been used at all, whatever the load (the audit chain, gauges): with several
 * shards, one the warm-up happened not to use gets them later. Bounded by the number of shards, so left out.
 */
const FIXED = new Set([
  "audit",
  "audit:head",
  "audit:checkpoint",
  "audit:anchors",
  "audit:anchors:head",
  "counters",
  "agents:live",
  "providers:live",
  "shards",
  "shards:followers",
]);

/** Live leases (due and pending) in every shard, and whether any shard still holds what retention removes. */
async function leftovers(keys: readonly string[]) {
  let due = 0;
  let pending = 0;
  let ended = false;
  for (const prefix of await shardPrefixesOf(redis, stack.prefix)) {
    due += await redis.zcard(`${prefix}deadline`);
    pending += await redis.zcard(`${prefix}pending`);
    const leftover = ["leases:ended", "tasks:ended", "campaigns:ended", "campaigns", "audit:outbox"];
    ended ||= leftover.some((k) => keys.includes(`${prefix}${k}`));
  }
  return { due, pending, ended };
}

const task = (agent: string, body?: Record<string, unknown>) => createTask(stack, agent, body);

const lease = async (agent: string, taskId: string, headers?: Record<string, string>) =>
  (await issueLease(stack, agent, taskId, {}, headers)).lease_id;

/** Issues and ends leases every way: completion (with a sub-task), return, and a campaign. */
async function churn(round: string): Promise<string[]> {
  const ended: string[] = [];
  for (let i = 0; i < 5; i++) {
    const root = await task(`ret-${round}-${i}`);
    const child = await task(`ret-${round}-${i}-sub`, { parent_id: root, ttl_seconds: 300 });
    ended.push(await lease(`ret-${round}-${i}`, root, { "idempotency-key": `${round}-${i}` }));
    ended.push(await lease(`ret-${round}-${i}-sub`, child));
    const returned = await lease(`ret-${round}-${i}`, root);
    await stack.call("DELETE", `/v1/leases/${returned}`, await stack.token(agentId(`ret-${round}-${i}`)));
    ended.push(returned);
    expect((await stack.call("POST", `/v1/tasks/${root}/complete`, orch)).status).toBe(202);
  }
  const campaigned = await task(`ret-${round}-campaign`);
  for (let i = 0; i < 3; i++) ended.push(await lease(`ret-${round}-campaign`, campaigned));
  const res = await stack.call("POST", "/v1/revocations", security, {
    selector: { agent: agentId(`ret-${round}-campaign`) },
    reason: "retention test",
  });
  expect(res.status).toBe(202);
  // Its task ends too (an active task is live, whether or not it holds leases).
  expect((await stack.call("POST", `/v1/tasks/${campaigned}/cancel`, orch)).status).toBe(202);
  return ended;
}

describe("ended records are removed after LEASH_LEASE_RETENTION_SECONDS", () => {
  it("the key count returns to its baseline; a live lease older than the retention stays", async () => {
    const holder = await task("ret-live");
    const live = await lease("ret-live", holder);
    await churn("warm-up");
    // Once nothing ended is left to remove and only the live lease is live, what remains is the baseline: the keys
    // that exist whatever the load (gauges, the audit stream, the live lease and its task).
    const baseline = await waitFor(
      async () => {
        const keys = await storeKeys();
        const { due, pending, ended } = await leftovers(keys);
        return due === 1 && pending === 0 && !ended ? keys : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the warm-up's records to be removed" },
    );
    expect(baseline.some((k) => k.endsWith(`}:lease:${live}`))).toBe(true);

    const ended = await churn("load");
    expect((await storeKeys()).length).toBeGreaterThan(baseline.length + 40);
    let difference: string[] = [];
    await waitFor(
      async () => {
        const keys = await storeKeys();
        difference = [
          ...keys.filter((k) => !baseline.includes(k)).map((k) => `+${k}`),
          ...baseline.filter((k) => !keys.includes(k)).map((k) => `-${k}`),
        ];
        return difference.length === 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: "the key set to return to its baseline" },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; still different: ${difference.slice(0, 10).join(" ")}`);
    });

    // The live lease (by now older than the retention) and its task are untouched.
    const res = await stack.call("GET", `/v1/leases/${live}`, security);
    expect(((await res.json()) as { state: string }).state).toBe("active");
    expect((await stack.call("GET", `/v1/tasks/${holder}`, orch)).status).toBe(200);
    // Ended ones are gone, and listings have no holes where they were.
    for (const id of ended.slice(0, 5))
      expect((await stack.call("GET", `/v1/leases/${id}`, security)).status).toBe(404);
    const listed = (await (await stack.call("GET", "/v1/leases?limit=100", security)).json()) as {
      items: { lease_id: string }[];
    };
    expect(listed.items.map((l) => l.lease_id)).toEqual([live]);
  });
});
