import { type BenchAgent, type Provider, shotFor } from "./agents.js";
import { CONFIG } from "./config.js";
import { cpuSplit } from "./cpu.js";
import { closedLoop, openLoop } from "./load.js";
import type { BenchStack } from "./stack.js";
import { median, summarize } from "./stats.js";

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

function fold(
  samples: { rate: number; p50: number; p99: number }[],
  errors: number,
  firstError?: string,
): LoadFigure {
  return {
    rate: median(samples.map((s) => s.rate)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    errors,
    rates: samples.map((s) => s.rate),
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
  const shot = shotFor(agents, provider);
  const samples = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let run = 0; run < CONFIG.runs; run++) {
    const r = await closedLoop(stack.apis, concurrency, seconds * 1000, shot);
    const s = summarize(r.latencies);
    samples.push({ rate: r.perSecond, p50: s.p50, p99: s.p99 });
    errors += r.errors;
    firstError ??= r.firstError;
  }
  return fold(samples, errors, firstError);
}

export interface OverheadFigure {
  broker: LoadFigure;
  floor: LoadFigure;
  half: { p50: number; p99: number };
  /** CPU cores each process kept busy during the broker runs, and CPU ms per issued lease. */
  cores: Record<string, number>;
  cpuMsPerLease: Record<string, number>;
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
  const shot = shotFor(agents, "leash-jwt");
  await closedLoop(stack.apis, concurrency, 1000, shot);
  await closedLoop(floorUrl, concurrency, 1000, shot);
  const broker = [];
  const floor = [];
  const half = [];
  const cores: Record<string, number[]> = {};
  const perLease: Record<string, number[]> = {};
  let errors = 0;
  for (let run = 0; run < CONFIG.runs; run++) {
    const measured = await cpuSplit(stack.pids(), () =>
      closedLoop(stack.apis, concurrency, CONFIG.seconds * 1000, shot),
    );
    const b = measured.result;
    const sb = summarize(b.latencies);
    broker.push({ rate: b.perSecond, p50: sb.p50, p99: sb.p99 });
    errors += b.errors;
    for (const [name, cpu] of Object.entries(measured.cpu)) {
      if (name === "floor") continue;
      push(cores, name, cpu / measured.seconds);
      push(perLease, name, (cpu * 1000) / Math.max(1, b.latencies.length));
    }
    const f = await closedLoop(floorUrl, concurrency, CONFIG.seconds * 1000, shot);
    const sf = summarize(f.latencies);
    floor.push({ rate: f.perSecond, p50: sf.p50, p99: sf.p99 });
    const h = await openLoop(
      stack.apis,
      Math.max(1, Math.floor(b.perSecond / 2)),
      CONFIG.seconds * 1000,
      shot,
    );
    const sh = summarize(h.latencies);
    half.push({ rate: 0, p50: sh.p50, p99: sh.p99 });
    errors += h.errors;
  }
  const medians = (m: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
  return {
    broker: fold(broker, errors),
    floor: fold(floor, 0),
    half: { p50: median(half.map((h) => h.p50)), p99: median(half.map((h) => h.p99)) },
    cores: medians(cores),
    cpuMsPerLease: medians(perLease),
  };
}
