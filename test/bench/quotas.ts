import { randomUUID } from "node:crypto";
import type { QuotaPool } from "@leash/core";
import { createStore } from "@leash/store";
import { leaseFixture, taskFixture } from "@leash/store/testing";
import type { BenchAgent } from "./agents.js";
import { CONFIG } from "./config.js";
import type { LoadResult } from "./generator.js";
import { closedLoop, openLoop } from "./load.js";
import { type BenchStack, startBenchStack } from "./stack.js";
import { median } from "./stats.js";
import type { Workload } from "./workload.js";

/**
 * The cost of quota enforcement on issuance: two groups of agents on one stack, alternating run by run so machine
 * drift hits both alike. No quota selects the first group; every lease of the second counts in five pools (the
 * agent's own and the per-agent quota's live total, a shared fleet pool, a provider pool, the task's), with limits
 * high enough never to refuse, so both groups do the same work but the counting.
 */
const QUOTA_PREFIX = "spiffe://dev.local/agent/quota-";
const HIGH = 1_000_000_000;
const QUOTAS = [
  {
    id: "per-agent",
    match: { agent_prefix: QUOTA_PREFIX },
    per: "agent",
    max_live: HIGH,
    max_per_minute: HIGH,
  },
  { id: "fleet", match: { agent_prefix: QUOTA_PREFIX }, max_live: HIGH, max_per_minute: HIGH },
  { id: "jwt", match: { agent_prefix: QUOTA_PREFIX, provider: "leash-jwt" }, max_live: HIGH },
];
const POOLS = 5;
const CONCURRENCY = 32;

interface Side {
  rate: number;
  p50: number;
  p99: number;
  /** p50 / p99 of an open loop at half the no-quota throughput (the same offered load for both). */
  half: { p50: number; p99: number };
  /** Redis CPU per issued lease in its scripts (EVALSHA), in µs. */
  redisUsPerLease: number;
  errors: number;
  firstError?: string;
}

export interface QuotaCostFigure {
  pools: number;
  concurrency: number;
  without: Side;
  with: Side;
  /** Redis µs per write-ahead script alone (create_pending.lua), without and with the five pools. */
  script: { without: number; with: number };
}

async function group(stack: BenchStack, orchestrator: string, prefix: string, quota: boolean) {
  const agents: BenchAgent[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const sub = `${prefix}${i}`;
    const task = await stack.post("/v1/tasks", orchestrator, {
      agent: sub,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 86_400,
      ...(quota ? { quota: { max_live: HIGH, max_issued: HIGH } } : {}),
    });
    agents.push({ sub, token: await stack.issuer.mint({ sub, ttlSeconds: 86_400 }), taskId: task.id ?? "" });
  }
  return agents;
}

const workload = (agents: readonly BenchAgent[]): Workload => ({
  path: "/v1/leases",
  provider: "leash-jwt",
  ttlSeconds: 600,
  agents: agents.map(({ token, taskId }) => ({ token, taskId })),
});

/** Total µs Redis spent in EVALSHA so far (every Lua call Leash makes goes through it). */
async function scriptMicros(stack: BenchStack): Promise<number> {
  const info = String(await stack.redis.call("INFO", "commandstats"));
  const evalsha = /cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(info)?.[1];
  return Number(evalsha ?? 0);
}

async function measured(stack: BenchStack, run: () => Promise<LoadResult>) {
  const before = await scriptMicros(stack);
  const result = await run();
  return { result, redisUs: (await scriptMicros(stack)) - before };
}

function side(closed: { result: LoadResult; redisUs: number }[], open: LoadResult[]): Side {
  const firstError = [...closed.map((c) => c.result), ...open].find((r) => r.firstError)?.firstError;
  return {
    rate: median(closed.map((c) => c.result.perSecond)),
    p50: median(closed.map((c) => c.result.p50)),
    p99: median(closed.map((c) => c.result.p99)),
    half: { p50: median(open.map((r) => r.p50)), p99: median(open.map((r) => r.p99)) },
    redisUsPerLease: median(closed.map((c) => c.redisUs / Math.max(1, c.result.issued))),
    errors: [...closed.map((c) => c.result), ...open].reduce((sum, r) => sum + r.errors, 0),
    ...(firstError ? { firstError } : {}),
  };
}

/** The five pools of a quota-side lease, as issuance hands them to the store. */
function fivePools(taskId: string, agent: string): QuotaPool[] {
  const counted = { live: { max: HIGH }, perMinute: { max: HIGH } };
  return [
    { quota: "per-agent", pool: `per-agent\n${agent}`, ...counted },
    { quota: "per-agent", pool: "per-agent", live: {} },
    { quota: "fleet", pool: "fleet", ...counted },
    { quota: "jwt", pool: "jwt", live: { max: HIGH } },
    { quota: `task:${taskId}`, pool: `task:${taskId}`, live: { max: HIGH }, issued: { max: HIGH, taskId } },
  ];
}

/**
 * The write-ahead script alone, straight to Redis: batches of 100 concurrent write-aheads without and with the
 * pools, alternating, 20 batches of 1,000 each; the median of Redis's own time per call (INFO commandstats).
 */
async function scriptCost(stack: BenchStack): Promise<{ without: number; with: number }> {
  const store = createStore(stack.redis, `bench-quota:{${randomUUID()}}:`);
  const task = taskFixture({ quota: { maxLive: HIGH, maxIssued: HIGH } });
  await store.tasks.create(task);
  const batch = async (quota: boolean) => {
    const before = await scriptMicros(stack);
    for (let i = 0; i < 10; i++)
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => {
          const agent = `spiffe://dev.local/agent/quota-${j % CONCURRENCY}`;
          const lease = leaseFixture(task.id, { agent });
          return store.leases.createPending(lease, undefined, quota ? fivePools(task.id, agent) : []);
        }),
      );
    return ((await scriptMicros(stack)) - before) / 1000;
  };
  const without: number[] = [];
  const withPools: number[] = [];
  for (let round = 0; round < 20; round++) {
    without.push(await batch(false));
    withPools.push(await batch(true));
  }
  return { without: median(without), with: median(withPools) };
}

/** Issuance with and without quotas on a stack of its own, CONFIG.runs alternating runs of each. */
export async function quotaCost(redisUrl: string): Promise<QuotaCostFigure> {
  const stack = await startBenchStack({ redisUrl, config: { quotas: QUOTAS } });
  try {
    const orchestrator = await stack.issuer.mint({
      sub: "spiffe://dev.local/orchestrator",
      ttlSeconds: 86_400,
    });
    const plain = workload(await group(stack, orchestrator, "spiffe://dev.local/agent/plain-", false));
    const quota = workload(await group(stack, orchestrator, QUOTA_PREFIX, true));
    type Measured = { result: LoadResult; redisUs: number };
    const closed = { plain: [] as Measured[], quota: [] as Measured[] };
    // A warm-up of each (JIT, connections, the per-minute windows filling), not counted.
    await closedLoop(stack.apis, CONCURRENCY, CONFIG.seconds, plain);
    await closedLoop(stack.apis, CONCURRENCY, CONFIG.seconds, quota);
    for (let run = 0; run < CONFIG.runs; run++) {
      closed.plain.push(
        await measured(stack, () => closedLoop(stack.apis, CONCURRENCY, CONFIG.seconds, plain)),
      );
      closed.quota.push(
        await measured(stack, () => closedLoop(stack.apis, CONCURRENCY, CONFIG.seconds, quota)),
      );
    }
    const halfRate = Math.max(1, Math.round(median(closed.plain.map((c) => c.result.perSecond)) / 2));
    const open = { plain: [] as LoadResult[], quota: [] as LoadResult[] };
    for (let run = 0; run < CONFIG.runs; run++) {
      open.plain.push(await openLoop(stack.apis, halfRate, CONFIG.seconds, plain));
      open.quota.push(await openLoop(stack.apis, halfRate, CONFIG.seconds, quota));
    }
    return {
      pools: POOLS,
      concurrency: CONCURRENCY,
      without: side(closed.plain, open.plain),
      with: side(closed.quota, open.quota),
      script: await scriptCost(stack),
    };
  } finally {
    await stack.stop();
  }
}

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

/** The report's section: both sides and their ratio, figure by figure. */
export function quotaReport(q: QuotaCostFigure): string {
  const line = (name: string, pick: (s: Side) => number, digits = 1) => {
    const a = pick(q.without);
    const b = pick(q.with);
    return row([name, f(a, digits), f(b, digits), `${f(b / a, 2)}x`]);
  };
  const errors = q.without.errors + q.with.errors;
  return [
    "",
    `### Quota enforcement (leash-jwt, ${q.concurrency} concurrent agents; each lease of the quota side counts in ${q.pools} pools)`,
    "",
    row(["figure", "without quotas", "with quotas", "with / without"]),
    row(["---", "---", "---", "---"]),
    line("issuance throughput (req/s)", (s) => s.rate, 0),
    line("latency at full load p50 (ms)", (s) => s.p50),
    line("latency at full load p99 (ms)", (s) => s.p99),
    line("latency at half the no-quota rate p50 (ms)", (s) => s.half.p50),
    line("latency at half the no-quota rate p99 (ms)", (s) => s.half.p99),
    line("Redis script time per lease, all scripts (µs)", (s) => s.redisUsPerLease),
    row([
      "Redis time per write-ahead script alone (µs)",
      f(q.script.without),
      f(q.script.with),
      `${f(q.script.with / q.script.without, 2)}x`,
    ]),
    "",
    errors > 0 ? `Errors: ${errors} (first: ${q.with.firstError ?? q.without.firstError})\n` : "",
  ].join("\n");
}
