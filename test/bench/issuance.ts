import { type BenchAgent, PROVIDERS, type Provider, workloadFor } from "./agents.js";
import { CONFIG } from "./config.js";
import { cpuSplit } from "./cpu.js";
import type { LoadResult } from "./generator.js";
import { closedLoop, openLoop } from "./load.js";
import type { BenchStack } from "./stack.js";
import { median } from "./stats.js";

export interface LoadFigure {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  rates: number[];
  firstError?: string;
}

function push(into: Record<string, number[]>, key: string, value: number): void {
  const list = into[key] ?? [];
  list.push(value);
  into[key] = list;
}

const medians = (m: Record<string, number[]>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));

/** The median of runs; errors are summed, the first one kept for the report. */
function fold(runs: readonly LoadResult[]): LoadFigure {
  const firstError = runs.find((r) => r.firstError)?.firstError;
  return {
    rate: median(runs.map((r) => r.perSecond)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    rates: runs.map((r) => r.perSecond),
    ...(firstError ? { firstError } : {}),
  };
}

/** A figure that also counts the errors of other runs against the same API (the half-rate open loop's). */
function withErrorsOf(figure: LoadFigure, others: readonly LoadResult[]): LoadFigure {
  const firstError = figure.firstError ?? others.find((r) => r.firstError)?.firstError;
  return {
    ...figure,
    errors: others.reduce((sum, r) => sum + r.errors, figure.errors),
    ...(firstError ? { firstError } : {}),
  };
}

/** Closed-loop issuance through the API(s): throughput and latency, the median of CONFIG.runs runs. */
export async function issuance(
  stack: BenchStack,
  agents: readonly BenchAgent[],
  provider: Provider,
  concurrency: number,
  seconds = CONFIG.seconds,
): Promise<LoadFigure> {
  const runs: LoadResult[] = [];
  for (let run = 0; run < CONFIG.runs; run++)
    runs.push(await closedLoop(stack.apis, concurrency, seconds, workloadFor(agents, provider)));
  return fold(runs);
}

/**
 * Every provider and the floor, in turn within each run so machine drift hits all alike. `known` figures (the
 * overhead section's leash-jwt and floor at the same concurrency) are reused, not measured again.
 */
export async function perProvider(
  stack: BenchStack,
  agents: readonly BenchAgent[],
  concurrency: number,
  known: Partial<Record<Provider | "floor", LoadFigure>> = {},
): Promise<Record<Provider | "floor", LoadFigure>> {
  const floorUrl = stack.floor;
  if (!floorUrl) throw new Error("the stack has no floor server");
  const targets = (["floor", ...PROVIDERS] as const).filter((t) => !known[t]);
  const runs: Partial<Record<Provider | "floor", LoadResult[]>> = {};
  for (let run = 0; run < CONFIG.runs; run++)
    for (const target of targets) {
      const workload = workloadFor(agents, target === "floor" ? "leash-jwt" : target);
      const r = await closedLoop(
        target === "floor" ? floorUrl : stack.apis,
        concurrency,
        CONFIG.seconds,
        workload,
      );
      runs[target] = [...(runs[target] ?? []), r];
    }
  const measured = Object.fromEntries(targets.map((t) => [t, fold(runs[t] ?? [])]));
  return { ...known, ...measured } as Record<Provider | "floor", LoadFigure>;
}

export interface OverheadFigure {
  broker: LoadFigure;
  floor: LoadFigure;
  half: { p50: number; p99: number };
  /** CPU cores each process kept busy during the broker runs, and CPU ms per issued lease. */
  cores: Record<string, number>;
  /** The same during the floor runs. */
  floorCores: Record<string, number>;
  cpuMsPerLease: Record<string, number>;
  /** What the load generator reaches against a route that does nothing, and its CPU there. */
  generator: { ceiling: LoadFigure; ceilingCores: number; msPerRequest: number };
}

/**
 * What the generator reaches against a route that does nothing (the floor server's /empty), and the CPU it spends
 * per request: with the floor well above Leash, this shows the generator is not what limits either.
 */
async function generatorCeiling(floorUrl: string, agents: readonly BenchAgent[], concurrency: number) {
  const workload = { ...workloadFor(agents, "leash-jwt"), path: "/empty" };
  const r = await closedLoop(floorUrl, concurrency, CONFIG.seconds, workload);
  return {
    ceiling: fold([r]),
    ceilingCores: r.cpuSeconds / r.seconds,
    msPerRequest: (r.cpuSeconds * 1000) / Math.max(1, r.issued),
  };
}

/**
 * leash-jwt against the floor baseline, alternating runs so machine drift hits both alike; then an open loop at
 * half the broker's rate for latency under a sustainable load.
 */
export async function overhead(
  stack: BenchStack,
  agents: readonly BenchAgent[],
  concurrency: number,
): Promise<OverheadFigure> {
  const floorUrl = stack.floor;
  if (!floorUrl) throw new Error("the stack has no floor server");
  const workload = workloadFor(agents, "leash-jwt");
  await closedLoop(stack.apis, concurrency, 1, workload);
  await closedLoop(floorUrl, concurrency, 1, workload);
  const ceiling = await generatorCeiling(floorUrl, agents, concurrency);
  const broker: LoadResult[] = [];
  const floor: LoadResult[] = [];
  const half: LoadResult[] = [];
  const cores: Record<string, number[]> = {};
  const floorCores: Record<string, number[]> = {};
  const perLease: Record<string, number[]> = {};
  for (let run = 0; run < CONFIG.runs; run++) {
    const measured = await cpuSplit(stack.pids(), () =>
      closedLoop(stack.apis, concurrency, CONFIG.seconds, workload),
    );
    const b = measured.result;
    broker.push(b);
    for (const [name, cpu] of Object.entries(measured.cpu)) {
      if (name === "floor") continue;
      push(cores, name, cpu / measured.seconds);
      if (!name.startsWith("other")) push(perLease, name, (cpu * 1000) / Math.max(1, b.issued));
    }
    const f = await cpuSplit(stack.pids(), () => closedLoop(floorUrl, concurrency, CONFIG.seconds, workload));
    floor.push(f.result);
    for (const [name, cpu] of Object.entries(f.cpu))
      if (!["api", "worker"].includes(name)) push(floorCores, name, cpu / f.seconds);
    half.push(await openLoop(stack.apis, Math.max(1, Math.floor(b.perSecond / 2)), CONFIG.seconds, workload));
  }
  return {
    broker: withErrorsOf(fold(broker), half),
    floor: fold(floor),
    half: { p50: median(half.map((h) => h.p50)), p99: median(half.map((h) => h.p99)) },
    cores: medians(cores),
    floorCores: medians(floorCores),
    cpuMsPerLease: medians(perLease),
    generator: ceiling,
  };
}
