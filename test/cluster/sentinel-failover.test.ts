import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import {
  introspectsActive,
  type LoadRecord,
  type Outcome,
  runLoad,
  settleAndJudge,
} from "./failover-load.js";
import { type LocalSentinel, startLocalSentinel } from "./redis-topologies.js";

/**
 * A primary with two replicas under three sentinels, an API and a worker that follow the primary through Sentinel,
 * and agents issuing leases while the primary fails over. Each run prints what the failover cost: requests
 * refused (and over how long), leases revoked more than 1 s late, leases lost (answered 201, then gone).
 */
let sentinel: LocalSentinel;
beforeAll(async () => {
  sentinel = await startLocalSentinel(2);
}, 60_000);
afterAll(() => sentinel?.stop());

const LOAD = { clients: 6, ttlSeconds: 3, leasesPerTask: 10 };
const STACK_ENV = {
  LEASH_RATE_LIMIT_PER_SECOND: "100000",
  LEASH_RATE_LIMIT_BURST: "100000",
  // The grace must exceed the mint timeout (start-up refuses it otherwise).
  LEASH_MINT_TIMEOUT_MS: "1500",
  LEASH_PENDING_GRACE_MS: "2000",
  LEASH_RECONCILE_INTERVAL_MS: "500",
  // A revoke job whose completion the failover undid sits in BullMQ's active list until its lock lapses.
  LEASH_JOB_LOCK_MS: "5000",
  LOG_LEVEL: "error",
};
const ENDED_AS_ORDERED = new Set(["revoked", "expired"]);

/** Load for 2 s, `fail` the primary, load until 4 s after the sentinels named a new one, then judge. */
async function failoverUnderLoad(
  name: string,
  stack: Stack,
  fail: () => Promise<{ from: number; to: number }>,
): Promise<{ record: LoadRecord; outcome: Outcome }> {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const load = runLoad(stack, LOAD, stopped);
  await new Promise((r) => setTimeout(r, 2_000));
  const started = Date.now();
  const { from, to } = await fail();
  const failoverMs = Date.now() - started;
  await new Promise((r) => setTimeout(r, 4_000));
  stop();
  const record = await load;
  const outcome = await settleAndJudge(stack, record);
  const window = record.refusedFrom === null ? 0 : (record.refusedUntil ?? 0) - record.refusedFrom;
  console.log(
    `${name}: ${JSON.stringify({
      failover: `${from} -> ${to} in ${failoverMs} ms`,
      statuses: record.statuses,
      refused: record.refused,
      refused_window_ms: window,
      lost_tasks: record.lostTasks.length,
      ...outcome,
      lost: outcome.lost.length,
    })}`,
  );
  return { record, outcome };
}

async function withStack<T>(env: Record<string, string>, work: (stack: Stack) => Promise<T>): Promise<T> {
  // The previous run's old primary must be back as a replica before the next one starts.
  await sentinel.waitForReplicas(2, 30_000);
  const stack = await startStack({ redis: sentinel.target, separate: true, env: { ...STACK_ENV, ...env } });
  try {
    return await work(stack);
  } finally {
    await stack.stop();
  }
}

describe("Sentinel failover under load", () => {
  it("a crashed primary (kill -9) with LEASH_REDIS_WAIT_REPLICAS=1 loses no lease; every lease ends", async () => {
    await withStack({ LEASH_REDIS_WAIT_REPLICAS: "1" }, async (stack) => {
      const { record, outcome } = await failoverUnderLoad("kill -9, WAIT 1", stack, async () => {
        const from = await sentinel.primaryPort();
        const server = sentinel.servers.get(from);
        await server?.kill();
        const to = await sentinel.waitForNewPrimary(from);
        // A supervisor restarts it; the sentinels make it a replica of the new primary.
        await server?.start();
        return { from, to };
      });
      expect(record.issued.length).toBeGreaterThan(100);
      expect(record.lostTasks).toEqual([]);
      expect(outcome.lost).toEqual([]);
      expect(Object.keys(outcome.byState).every((s) => ENDED_AS_ORDERED.has(s))).toBe(true);
      expect(outcome.auditChainOk).toBe(true);
    });
  });

  it("a planned failover (writes paused, then SENTINEL FAILOVER) with WAIT 1 loses no lease", async () => {
    await withStack({ LEASH_REDIS_WAIT_REPLICAS: "1" }, async (stack) => {
      const { record, outcome } = await failoverUnderLoad("planned, WAIT 1", stack, () =>
        sentinel.failover(5_000),
      );
      expect(record.issued.length).toBeGreaterThan(100);
      expect(record.lostTasks).toEqual([]);
      expect(outcome.lost).toEqual([]);
      expect(Object.keys(outcome.byState).every((s) => ENDED_AS_ORDERED.has(s))).toBe(true);
      expect(outcome.auditChainOk).toBe(true);
    });
  });

  it("an unplanned SENTINEL FAILOVER without WAIT may lose leases, but a lost lease's token is inactive", async () => {
    await withStack({ LEASH_REDIS_WAIT_REPLICAS: "0" }, async (stack) => {
      const { record, outcome } = await failoverUnderLoad("unpaused, WAIT 0", stack, () =>
        sentinel.failover(),
      );
      expect(record.issued.length).toBeGreaterThan(100);
      const lost = record.issued.filter((l) => outcome.lost.includes(l.id));
      for (const l of lost) expect(await introspectsActive(stack, l.token)).toBe(false);
      expect(outcome.auditChainOk).toBe(true);
    });
  });
});
