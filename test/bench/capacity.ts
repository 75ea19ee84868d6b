import type { RedisClient } from "@leash/store";
import { measureOps, type OpsFigure } from "../support/ops.js";
import { warmOpsTarget } from "./ops.js";
import { startBenchStack } from "./stack.js";
import { median } from "./stats.js";

/**
 * Section `capacity` (issue #15): what one Redis primary can carry, from what a lease costs it. Per issuance and per
 * revocation (a task's completion, ten leases per task): the commands Redis ran (INFO commandstats) and the CPU its
 * main thread spent (INFO cpu, `used_cpu_*_main_thread`, the stack's idle rate subtracted); per live lease, the
 * memory it holds (`used_memory`). The model in the report divides a primary's thread by those costs.
 */
const LEASES = Number(process.env.BENCH_CAPACITY_LEASES ?? 2_000);
const PER_TASK = 10;
/** A primary is planned at this share of its thread: headroom for bursts, failover and background work. */
const PLANNED_SHARE = 0.6;
/** Memory a primary is planned to hold (a 32 GiB machine, with room for forks and fragmentation). */
const PLANNED_MEMORY = 20 * 2 ** 30;

interface Sample {
  at: number;
  cpuMs: number;
  memory: number;
}

export interface CapacityRun {
  figure: OpsFigure;
  /** Redis main-thread CPU per lease, µs. */
  issuanceUs: number;
  revocationUs: number;
  /** Bytes per live lease (its task's share included), and per lease once ended (kept for the retention). */
  liveBytes: number;
  endedBytes: number;
}

async function sample(redis: RedisClient): Promise<Sample> {
  const cpu = String(await redis.call("INFO", "cpu"));
  const memory = String(await redis.call("INFO", "memory"));
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(text)?.[1] ?? NaN);
  const main = field(cpu, "used_cpu_sys_main_thread") + field(cpu, "used_cpu_user_main_thread");
  const all = field(cpu, "used_cpu_sys") + field(cpu, "used_cpu_user");
  return {
    at: Date.now(),
    cpuMs: (Number.isNaN(main) ? all : main) * 1000,
    memory: field(memory, "used_memory"),
  };
}

export async function capacity(
  redisUrl: string,
  log: (line: string) => void,
  runs: number,
): Promise<CapacityRun[]> {
  const stack = await startBenchStack({ redisUrl });
  try {
    const target = await warmOpsTarget(stack);
    const out: CapacityRun[] = [];
    for (let r = 0; r < runs; r++) {
      log(`capacity run ${r + 1}: ${LEASES} issuances, ${PER_TASK} per task, then their tasks' completion`);
      const at = new Map<string, Sample>();
      const figure = await measureOps(target, {
        leases: LEASES,
        perTask: PER_TASK,
        mark: async (phase, when) => {
          at.set(`${phase}:${when}`, await sample(stack.redis));
        },
      });
      const get = (key: string) => {
        const s = at.get(key);
        if (!s) throw new Error(`no sample at ${key}`);
        return s;
      };
      const idle = { from: get("idle:start"), to: get("idle:end") };
      const idlePerMs = (idle.to.cpuMs - idle.from.cpuMs) / Math.max(1, idle.to.at - idle.from.at);
      const cost = (phase: "issuance" | "revocation") => {
        const from = get(`${phase}:start`);
        const to = get(`${phase}:end`);
        const background = idlePerMs * (to.at - from.at);
        const spent = to.cpuMs - from.cpuMs;
        return (Math.max(0, spent - background) * 1000) / LEASES;
      };
      out.push({
        figure,
        issuanceUs: cost("issuance"),
        revocationUs: cost("revocation"),
        liveBytes: (get("issuance:end").memory - get("issuance:start").memory) / LEASES,
        endedBytes: (get("revocation:end").memory - get("issuance:start").memory) / LEASES,
      });
      log(`capacity run ${r + 1}: ${JSON.stringify({ ...out.at(-1), figure: undefined })}`);
    }
    return out;
  } finally {
    await stack.stop();
  }
}

const f = (v: number, digits = 1) => v.toLocaleString("en-US", { maximumFractionDigits: digits });

/** The report's section: the measured costs, then the model built on their medians. */
export function capacityReport(runs: readonly CapacityRun[]): string {
  const m = (pick: (r: CapacityRun) => number) => median(runs.map(pick));
  const issuanceUs = m((r) => r.issuanceUs);
  const revocationUs = m((r) => r.revocationUs);
  const perLeaseUs = issuanceUs + revocationUs;
  const liveBytes = m((r) => r.liveBytes);
  const endedBytes = m((r) => r.endedBytes);
  const perPrimary = (PLANNED_SHARE * 1e6) / perLeaseUs;
  const livePerPrimary = PLANNED_MEMORY / liveBytes;
  const lines = [
    "",
    `### Capacity of one Redis primary (${LEASES} leash-jwt leases, ${PER_TASK} per task; Redis's main-thread CPU from INFO cpu, the idle rate subtracted; used_memory)`,
    "",
    "| run | commands per issuance | per revocation | Redis CPU per issuance (µs) | per revocation (µs) | bytes per live lease | per ended lease (kept for the retention) |",
    "|---|---|---|---|---|---|---|",
    ...runs.map(
      (r, i) =>
        `| ${i + 1} | ${f(r.figure.issuance.perLease)} | ${f(r.figure.revocation.perLease)} | ${f(r.issuanceUs)} | ${f(r.revocationUs)} | ${f(r.liveBytes, 0)} | ${f(r.endedBytes, 0)} |`,
    ),
    "",
    `A lease costs a primary ${f(perLeaseUs)} µs of its thread from issuance to revocation (medians). Planned at ${PLANNED_SHARE * 100}% of the thread, one primary carries about ${f(perPrimary, 0)} leases per second issued and ended; planned at ${PLANNED_MEMORY / 2 ** 30} GiB, about ${f(livePerPrimary / 1e6, 1)} million live leases.`,
    "",
    "| load | primaries for the CPU | for the memory | primaries (the larger) |",
    "|---|---|---|---|",
    ...[10_000, 100_000, 1_000_000].map((rate) => {
      const cpu = Math.ceil(rate / perPrimary);
      return `| ${f(rate, 0)} issuances/s (each lease revoked once), leases living 5 min (${f((rate * 300) / 1e6, 1)} million live) | ${cpu} | ${Math.ceil((rate * 300) / livePerPrimary)} | ${Math.max(cpu, Math.ceil((rate * 300) / livePerPrimary))} |`;
    }),
    `| 100 million live leases | | ${Math.ceil(1e8 / livePerPrimary)} | ${Math.ceil(1e8 / livePerPrimary)} |`,
    "",
    `Ended leases stay for LEASH_LEASE_RETENTION_SECONDS (7 days by default) at about ${f(endedBytes, 0)} bytes each: at 10,000 issuances/s that is ${f((1e4 * 604_800 * endedBytes) / 2 ** 40, 1)} TiB, so a deployment at that rate keeps a retention of hours (the audit log keeps the receipts).`,
  ];
  return `${lines.join("\n")}\n`;
}
