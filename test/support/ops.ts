import { setTimeout as delay } from "node:timers/promises";
import { waitFor } from "@leash/devstack";
import type { Keyspace, RedisClient } from "@leash/store";

/**
 * Redis commands per lease, as Redis counts them (`INFO commandstats`, reset with `CONFIG RESETSTAT`): every command
 * a client sends and every command a Lua script runs, since both take the primary's single thread. Issuance is
 * measured from the first request to the last answer with the audit outbox empty; revocation from the tasks'
 * completion until every lease is settled, its job finished and its receipt chained. The commands of the measurer's
 * own polls are subtracted exactly, and the stack's background (pollers, heartbeats, blocking reads) at the rate of
 * an idle window before, so what remains is the work the leases caused.
 */
export type Counts = Map<string, number>;

export interface OpsTarget {
  /** A connection of the measurer's own to the stack's Redis (a single server: the stats are per server). */
  redis: RedisClient;
  /** The store's keys: with several shards, every shard's. */
  keys: Keyspace | readonly Keyspace[];
  post(path: string, token: string, body?: unknown): Promise<Record<string, unknown>>;
  orchestrator: string;
  /** Agents to spread the tasks over (workload tokens). */
  agents: readonly { sub: string; token: string }[];
}

interface OpsOptions {
  leases: number;
  /** Leases per task: a task's completion ends this many at once. */
  perTask: number;
  concurrency?: number;
  /** How long the idle window is that gives the background rate. */
  idleMs?: number;
  /** Called right before each measured phase starts and right after it ends (e.g. to mark a MONITOR feed). */
  mark?: (phase: "idle" | "issuance" | "revocation", at: "start" | "end") => Promise<void>;
}

interface Phase {
  ms: number;
  /** Commands by name, the measurer's own and the background subtracted (not rounded). */
  counts: Counts;
  total: number;
  perLease: number;
}

export interface OpsFigure {
  leases: number;
  perTask: number;
  /** Background commands per second of the idle stack, by name. */
  idle: Counts;
  issuance: Phase;
  revocation: Phase;
}

/** What Redis ran since the last reset, by command name (`evalsha`, `hset`, `config|resetstat`...). */
async function commandCounts(redis: RedisClient): Promise<Counts> {
  const info = String(await redis.call("INFO", "commandstats"));
  const counts: Counts = new Map();
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (name && calls) counts.set(name, Number(calls));
  return counts;
}

const sum = (counts: Counts) => [...counts.values()].reduce((a, b) => a + b, 0);

/** Counts the measurer's own commands, to take them off Redis's. */
class Own {
  readonly counts: Counts = new Map([["config|resetstat", 1]]);
  add(name: string, n = 1) {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
}

/** Live leases, write-aheads, receipts waiting to be chained, and revoke jobs waiting or running. */
async function backlog(target: OpsTarget, own: Own) {
  const shards = Array.isArray(target.keys) ? target.keys : [target.keys as Keyspace];
  let live = 0;
  let busy = 0;
  for (const keys of shards) {
    const revoke = `${keys.queues}:revoke`;
    const replies = await target.redis
      .pipeline()
      .zcard(keys.deadline)
      .zcard(keys.pending)
      .llen(keys.auditOutbox)
      .llen(`${revoke}:wait`)
      .llen(`${revoke}:active`)
      .exec();
    own.add("zcard", 2);
    own.add("llen", 3);
    const [due = 0, pending = 0, outbox = 0, waiting = 0, active = 0] = (replies ?? []).map(([error, n]) => {
      if (error) throw error;
      return Number(n);
    });
    live += due;
    busy += pending + outbox + waiting + active;
  }
  return { live, busy };
}

async function measure(target: OpsTarget, work: (own: Own) => Promise<void>) {
  const own = new Own();
  await target.redis.call("CONFIG", "RESETSTAT");
  const started = Date.now();
  await work(own);
  const ms = Date.now() - started;
  const raw = await commandCounts(target.redis);
  for (const [name, n] of own.counts) raw.set(name, (raw.get(name) ?? 0) - n);
  return { ms, raw };
}

function net(raw: Counts, idlePerSecond: Counts, ms: number, leases: number): Phase {
  const counts: Counts = new Map();
  for (const [name, n] of raw) {
    const value = Math.max(0, n - ((idlePerSecond.get(name) ?? 0) * ms) / 1000);
    if (value > 0) counts.set(name, value);
  }
  const total = sum(counts);
  return { ms, counts, total, perLease: total / leases };
}

async function pool(count: number, concurrency: number, run: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) await run(i);
    }),
  );
}

const settled = (
  target: OpsTarget,
  own: Own,
  what: string,
  check: (b: { live: number; busy: number }) => boolean,
) =>
  waitFor(async () => (check(await backlog(target, own)) ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 25,
    what,
  });

/** Issues `leases` leash-jwt leases over `leases / perTask` fresh tasks, then completes the tasks. */
export async function measureOps(target: OpsTarget, options: OpsOptions): Promise<OpsFigure> {
  const { leases, perTask, concurrency = 8, idleMs = 3_000 } = options;
  const taskCount = Math.ceil(leases / perTask);
  const tasks = await Promise.all(
    Array.from({ length: taskCount }, async (_, i) => {
      const agent = target.agents[i % target.agents.length];
      if (!agent) throw new Error("no agents");
      const task = await target.post("/v1/tasks", target.orchestrator, {
        agent: agent.sub,
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 3_600,
      });
      return { id: String(task.id), token: agent.token };
    }),
  );
  await options.mark?.("idle", "start");
  const idle = await measure(target, () => delay(idleMs).then(() => undefined));
  await options.mark?.("idle", "end");
  const idlePerSecond: Counts = new Map(
    [...idle.raw].filter(([, n]) => n > 0).map(([name, n]) => [name, (n * 1000) / idle.ms]),
  );

  await options.mark?.("issuance", "start");
  const issued = await measure(target, async (own) => {
    await pool(leases, concurrency, async (i) => {
      const task = tasks[i % taskCount];
      if (!task) return;
      await target.post("/v1/leases", task.token, {
        task_id: task.id,
        provider: "leash-jwt",
        intent: { action: "read", resource: `docs/ops-${i}` },
      });
    });
    await settled(target, own, "the issuance's writes to settle", (b) => b.busy === 0);
  });
  await options.mark?.("issuance", "end");

  await options.mark?.("revocation", "start");
  const revoked = await measure(target, async (own) => {
    await pool(taskCount, concurrency, async (i) => {
      await target.post(`/v1/tasks/${tasks[i]?.id}/complete`, target.orchestrator);
    });
    await settled(target, own, "every lease to be settled", (b) => b.live === 0 && b.busy === 0);
  });
  await options.mark?.("revocation", "end");

  return {
    leases,
    perTask,
    idle: idlePerSecond,
    issuance: net(issued.raw, idlePerSecond, issued.ms, leases),
    revocation: net(revoked.raw, idlePerSecond, revoked.ms, leases),
  };
}
