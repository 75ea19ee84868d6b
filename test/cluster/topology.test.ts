import { setTimeout as delay } from "node:timers/promises";
import { waitFor } from "@leash/devstack";
import { connectRedis, type RedisClient, waitReady } from "@leash/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killPrimaryOfSlot } from "./cluster-failover.js";
import { clusterSpread, formatSpread, type SpreadRow, withinSpread } from "./cluster-spread.js";
import { evenlySpacedTestTags, tagSlot } from "./hash-tags.js";
import { redisCli } from "./redis-cli.js";
import { type LocalCluster, startLocalCluster } from "./redis-topologies.js";

/**
 * The layout sharding relies on: 12 hash tags whose slots are evenly spaced over 16,384 land four to a primary of
 * a 3+3 cluster whose slots `redis-cli` split evenly, so keys (and memory) spread evenly; and when one primary
 * crashes, only its tags stop taking writes until its replica takes over, and no write confirmed by WAIT is lost.
 */
const TAGS = evenlySpacedTestTags(12);
const PREFIXES = TAGS.map(({ tag }) => `leash:{${tag}}:`);
const HASHES_PER_PREFIX = 250;

let cluster: LocalCluster;
/** As the API connects (fail fast), so a write to a primary that is down is refused, not queued. */
let redis: RedisClient;
let spread: SpreadRow[];

/** `count` small hashes under `prefix` in one pipeline closed by WAIT 1: resolves once a replica holds them. */
async function writeHashes(prefix: string, count: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < count; i++)
    pipeline.hset(`${prefix}h:${i}`, "state", "active", "task", `tk_${i}`, "expiresAt", String(Date.now()));
  pipeline.wait(1, 5_000);
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error !== null);
  if (failed) throw failed[0];
  const acknowledged = Number(replies.at(-1)?.[1]);
  if (acknowledged < 1) throw new Error(`WAIT 1 under ${prefix}: ${acknowledged} replicas confirmed`);
}

beforeAll(async () => {
  cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
  redis = connectRedis(cluster.target, { mode: "request" });
  await waitReady(redis);
  const baseline = await clusterSpread(cluster, PREFIXES);
  for (const prefix of PREFIXES) await writeHashes(prefix, HASHES_PER_PREFIX);
  spread = await clusterSpread(cluster, PREFIXES, baseline);
  console.log(
    `spread of ${PREFIXES.length * HASHES_PER_PREFIX} hashes over 12 tags:\n${formatSpread(spread)}`,
  );
}, 90_000);
afterAll(async () => {
  // Not quit(): QUIT would wait on the connection to the killed primary.
  redis?.disconnect();
  await cluster?.stop();
});

/** One write of the load: when it was sent and when it was answered, epoch ms. */
interface Write {
  sent: number;
  answered: number;
  ok: boolean;
}

/** Writes to one prefix, in order, and the distinct errors of those refused. */
interface WriteLog {
  writes: Write[];
  errors: Set<string>;
}

/** A writer per prefix, one small write every few ms, until `stop()`. */
function writeLoad(prefixes: string[]): { logs: Map<string, WriteLog>; stop: () => Promise<void> } {
  let running = true;
  const logs = new Map(prefixes.map((p): [string, WriteLog] => [p, { writes: [], errors: new Set() }]));
  const writer = async (prefix: string, log: WriteLog) => {
    for (let n = 0; running; n++) {
      const sent = Date.now();
      try {
        await redis.hset(`${prefix}load:${n}`, "state", "active");
        log.writes.push({ sent, answered: Date.now(), ok: true });
      } catch (error) {
        log.writes.push({ sent, answered: Date.now(), ok: false });
        log.errors.add(error instanceof Error ? error.message : String(error));
      }
      // Paces the load: enough writes to see every tag's state within a few ms, not a flood of keys.
      await delay(5);
    }
  };
  const writers = [...logs].map(([prefix, log]) => writer(prefix, log));
  return {
    logs,
    stop: async () => {
      running = false;
      await Promise.all(writers);
    },
  };
}

/** The writes of `prefix` sent at or after `from` that succeeded, and those that failed. */
function outcomes(logs: Map<string, WriteLog>, prefix: string, from = 0): { ok: Write[]; failed: Write[] } {
  const sent = logs.get(prefix)?.writes.filter((w) => w.sent >= from) ?? [];
  return { ok: sent.filter((w) => w.ok), failed: sent.filter((w) => !w.ok) };
}

describe("a 3+3 Redis Cluster carrying 12 evenly spaced hash tags", () => {
  it("places the tags four to a primary, where Redis computes their slots", async () => {
    for (const { tag, slot } of TAGS) {
      expect(Number(await redisCli(cluster.nodes[0]?.port ?? 0, "cluster", "keyslot", `{${tag}}`))).toBe(
        slot,
      );
      expect(tagSlot(tag)).toBe(slot);
    }
    expect(spread).toHaveLength(3);
    expect(spread.map((r) => r.prefixes.length)).toEqual([4, 4, 4]);
  });

  it("spreads keys within ±15% of the mean over the primaries", () => {
    expect(spread.reduce((sum, r) => sum + r.keys, 0)).toBe(PREFIXES.length * HASHES_PER_PREFIX);
    expect(withinSpread(spread, 0.15)).toBe(true);
  });

  it("a crashed primary stops only its own tags until its replica takes over, and loses no WAIT-confirmed write", async () => {
    const victimSlot = TAGS[0]?.slot ?? 0;
    const victimPrefixes = spread.find((r) => r.prefixes.includes(PREFIXES[0] ?? ""))?.prefixes ?? [];
    const others = PREFIXES.filter((p) => !victimPrefixes.includes(p));
    const load = writeLoad(PREFIXES);
    // Every writer has written before the crash: a tag that never wrote proves nothing.
    await waitFor(() => (PREFIXES.every((p) => outcomes(load.logs, p).ok.length > 0) ? true : undefined), {
      timeoutMs: 10_000,
      what: "every tag to take a write",
    });
    const kill = await killPrimaryOfSlot(cluster, victimSlot);
    const promotedAt = kill.killedAt + kill.failoverMs;
    // The client learns the new primary from a redirection or a slot refresh: wait until every tag writes again.
    await waitFor(
      () => (PREFIXES.every((p) => outcomes(load.logs, p, promotedAt).ok.length > 0) ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 50, what: "every tag to take a write sent after the promotion" },
    );
    await load.stop();

    const failedPrefixes = PREFIXES.filter((p) => outcomes(load.logs, p).failed.length > 0);
    // A victim tag is writable again once a write sent after the kill succeeds (ioredis retries refused ones).
    const writableAgainMs = Math.max(
      ...victimPrefixes.map(
        (p) => (outcomes(load.logs, p, kill.killedAt).ok[0]?.answered ?? Number.NaN) - kill.killedAt,
      ),
    );
    const othersSlowestMs = Math.max(
      ...others.flatMap((p) => outcomes(load.logs, p, kill.killedAt).ok.map((w) => w.answered - w.sent)),
    );
    const errors = new Set(failedPrefixes.flatMap((p) => [...(load.logs.get(p)?.errors ?? [])]));
    console.log(
      `failover: killed ${kill.killed}, promoted ${kill.promoted} in ${kill.failoverMs} ms; ` +
        `its tags writable again through the client ${writableAgainMs} ms after the kill; ` +
        `slowest write to the other tags ${othersSlowestMs} ms; failed writes: ` +
        `${failedPrefixes.map((p) => `${p} ${outcomes(load.logs, p).failed.length}`).join(", ")}; ` +
        `errors: ${[...errors].join(" | ")}`,
    );
    expect(failedPrefixes.filter((p) => !victimPrefixes.includes(p))).toEqual([]);
    // The load did meet the outage: each victim tag had a write refused, or held (ioredis retries a write to a
    // dead node for up to 16 x 100 ms before refusing it) for a good part of the failover.
    for (const prefix of victimPrefixes) {
      const { ok, failed } = outcomes(load.logs, prefix, kill.killedAt);
      const longestMs = Math.max(0, ...ok.map((w) => w.answered - w.sent));
      expect(failed.length > 0 || longestMs >= kill.failoverMs / 2, prefix).toBe(true);
    }
    // Writes to the other primaries were sent and answered while the victim's slots had no primary.
    for (const prefix of others) {
      const during = outcomes(load.logs, prefix, kill.killedAt).ok.filter((w) => w.answered <= promotedAt);
      expect(during.length, prefix).toBeGreaterThan(0);
    }

    for (const prefix of PREFIXES) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < HASHES_PER_PREFIX; i++) pipeline.exists(`${prefix}h:${i}`);
      const present = ((await pipeline.exec()) ?? []).filter(
        ([error, n]) => error === null && n === 1,
      ).length;
      expect(present, prefix).toBe(HASHES_PER_PREFIX);
    }
  });
});
