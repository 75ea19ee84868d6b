import type { BenchResult } from "@leash/policy";
import type { Provider } from "./agents.js";
import type { CONFIG } from "./config.js";
import type { LoadFigure, OverheadFigure } from "./issuance.js";
import type { massRevocation, revocationLatency } from "./revocation.js";
import type { ScalePoint } from "./scale.js";
import type { SoakResult } from "./soak.js";

export interface BenchResults {
  machine: string;
  config: typeof CONFIG;
  overhead?: OverheadFigure;
  issuance: { provider: Provider; concurrency: number; figure: LoadFigure; floor: LoadFigure }[];
  revocation?: Awaited<ReturnType<typeof revocationLatency>>;
  scale?: ScalePoint[];
  mass?: Awaited<ReturnType<typeof massRevocation>>;
  auditBytesPerEvent?: number;
  policy?: BenchResult;
  scaleOut: { apis: number; workers: number; figure: LoadFigure; completionP99: number }[];
  soak?: SoakResult;
}

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const mark = (ok: boolean) => (ok ? "met" : "**not met**");

/** The Markdown report `pnpm bench` prints (and BENCHMARKS.md quotes). */
export function report(r: BenchResults): string {
  const out: string[] = [
    `Machine: ${r.machine}. API, worker, Redis and the load generator (autocannon, in its own process) share it.`,
    `Runs: ${r.config.runs} x ${r.config.seconds} s per figure (median of runs; Leash and the floor alternate within each run), HTTP/1.1 keep-alive.`,
    "",
  ];
  const o = r.overhead;
  if (o) {
    const ratio = o.floor.rate / o.broker.rate;
    out.push(
      "### Foundation targets (leash-jwt, 32 concurrent agents)",
      "",
      row(["figure", "measured", "target", ""]),
      row(["---", "---", "---", "---"]),
      row([
        "issuance throughput (req/s)",
        `${f(o.broker.rate, 0)} (runs ${o.broker.rates.map((x) => f(x, 0)).join(", ")})`,
        ">= 2000",
        mark(o.broker.rate >= 2000),
      ]),
      row(["latency at full load p50 / p99 (ms)", `${f(o.broker.p50)} / ${f(o.broker.p99)}`, "", ""]),
      row([
        "latency at half that rate p50 / p99 (ms)",
        `${f(o.half.p50)} / ${f(o.half.p99)}`,
        "p99 < 25",
        mark(o.half.p99 < 25),
      ]),
      row([
        "floor baseline (req/s)",
        `${f(o.floor.rate, 0)} (runs ${o.floor.rates.map((x) => f(x, 0)).join(", ")}; p99 ${f(o.floor.p99)} ms)`,
        "",
        "",
      ]),
      row([
        "overhead: floor rate / broker rate",
        `${f(ratio, 2)}x (Leash at ${f((100 * o.broker.rate) / o.floor.rate, 0)}% of the floor)`,
        "<= 2x",
        mark(ratio <= 2),
      ]),
      ...(r.revocation
        ? [
            row([
              `completion -> revoked p50 / p99 (ms, n=${r.revocation.completion.n})`,
              `${f(r.revocation.completion.p50, 0)} / ${f(r.revocation.completion.p99, 0)}`,
              "p99 < 250",
              mark(r.revocation.completion.p99 < 250),
            ]),
            row([
              `expiry lateness p50 / p99 (ms, n=${r.revocation.lateness.n})`,
              `${f(r.revocation.lateness.p50, 0)} / ${f(r.revocation.lateness.p99, 0)}`,
              "p99 < 1000",
              mark(r.revocation.lateness.p99 < 1000),
            ]),
          ]
        : []),
      "",
      `CPU during that load, cores busy: ${Object.entries(o.cores)
        .map(([k, v]) => `${k} ${f(v, 2)}`)
        .join(", ")}; CPU ms per issued lease: ${Object.entries(o.cpuMsPerLease)
        .map(([k, v]) => `${k} ${f(v, 2)}`)
        .join(", ")}.`,
      "",
      `Errors: Leash ${o.broker.errors}, floor ${o.floor.errors}.${o.broker.firstError ? ` First: ${o.broker.firstError}` : ""}`,
      "",
      `During the floor runs, cores busy: ${Object.entries(o.floorCores)
        .map(([k, v]) => `${k} ${f(v, 2)}`)
        .join(", ")}.`,
      "",
      `Load generator alone, against a route that does nothing: ${f(o.generator.ceiling.rate, 0)} req/s with ` +
        `${f(o.generator.ceilingCores, 2)} cores busy (${f(o.generator.msPerRequest, 3)} CPU ms per request).`,
      "",
    );
  }
  if (r.issuance.length > 0) {
    out.push(
      "### Issuance per provider",
      "",
      row([
        "provider",
        "agents",
        "req/s (runs)",
        "p50 ms",
        "p99 ms",
        "floor req/s",
        "Leash / floor",
        "errors",
      ]),
      row(["---", "---", "---", "---", "---", "---", "---", "---"]),
      ...r.issuance.map((i) =>
        row([
          i.provider,
          i.concurrency,
          `${f(i.figure.rate, 0)} (${i.figure.rates.map((x) => f(x, 0)).join(", ")})`,
          f(i.figure.p50),
          f(i.figure.p99),
          f(i.floor.rate, 0),
          f(i.figure.rate / i.floor.rate, 2),
          i.figure.errors,
        ]),
      ),
      ...r.issuance
        .filter((i) => i.figure.firstError)
        .map((i) => `\nFirst error, ${i.provider} x ${i.concurrency}: ${i.figure.firstError}`),
      "",
    );
  }
  if (r.scale && r.scale.length > 0) {
    out.push(
      "### Scale: as the live set grows",
      "",
      row([
        "live leases",
        "issuance req/s",
        "issuance p50 / p99 ms",
        "completion -> revoked p99 ms",
        "Redis bytes per live lease",
      ]),
      row(["---", "---", "---", "---", "---"]),
      ...r.scale.map((p) =>
        row([
          p.live,
          f(p.issuance.rate, 0),
          `${f(p.issuance.p50)} / ${f(p.issuance.p99)}`,
          f(p.completionP99, 0),
          f(p.bytesPerLease, 0),
        ]),
      ),
      "",
      `Target: under 1024 bytes per live lease (audit stream excluded: ${f(r.auditBytesPerEvent ?? Number.NaN, 0)} bytes per event, trimmed by retention).`,
      "",
    );
  }
  if (r.mass) {
    out.push(
      "### Mass revocation",
      "",
      `${r.mass.matched} live leases (${Object.entries(r.mass.byProvider)
        .map(([p, n]) => `${p} ${n}`)
        .join(
          ", ",
        )}) revoked by one \`all\` campaign in ${f(r.mass.ms / 1000, 2)} s (${f(r.mass.perSecond, 0)} leases/s), state ${r.mass.state}, ${r.mass.remaining} left live; every receipt in the audit log after ${f(r.mass.receiptsMs / 1000, 2)} s (${r.mass.auditEvents} events appended).`,
      "",
    );
  }
  if (r.policy) {
    out.push(
      `Cedar decision, ${r.policy.policies} policies: p50 ${f(r.policy.p50Ms, 3)} ms, p99 ${f(r.policy.p99Ms, 3)} ms (target p99 < 1 ms: ${mark(r.policy.p99Ms < 1)}).`,
      "",
    );
  }
  if (r.scaleOut.length > 0) {
    out.push(
      "### Scale-out on this machine (one Redis, 256 agents, leash-jwt)",
      "",
      row(["API processes", "workers", "req/s", "p50 / p99 ms", "completion -> revoked p99 ms"]),
      row(["---", "---", "---", "---", "---"]),
      ...r.scaleOut.map((s) =>
        row([
          s.apis,
          s.workers,
          f(s.figure.rate, 0),
          `${f(s.figure.p50)} / ${f(s.figure.p99)}`,
          f(s.completionP99, 0),
        ]),
      ),
      "",
    );
  }
  const soak = r.soak;
  if (soak) {
    const c = soak.config;
    const mib = (bytes: number) => f(bytes / 1048576, 2);
    out.push(
      `### Soak: storage is bounded (${c.rate} leases/s for ${c.seconds} s, lease and audit retention ${c.retentionSeconds} s)`,
      "",
      row([
        "time (s)",
        "store + audit MiB",
        "keys",
        "job queues MiB",
        "leases ended",
        "live",
        "Redis used_memory MiB",
      ]),
      row(["---", "---", "---", "---", "---", "---", "---"]),
      ...soak.samples.map((s) =>
        row([s.at, mib(s.bytes), s.keys, mib(s.queueBytes), s.ended, s.live, mib(s.usedMemory)]),
      ),
      "",
      `${soak.issued} leases issued and ended (${soak.errors} errors). From ${2 * c.retentionSeconds} s on: ${mib(soak.steadyBytes)} MiB in ${f(soak.steadyKeys, 0)} keys on average in the store and audit log, ${f(soak.bytesPerRetainedLease, 0)} bytes per (leases/s x retention s); over the last third of the run memory changed by ${f(soak.lateGrowth * 100, 1)}% of that plateau.`,
      "",
      `At the last sample under load, by kind of key: ${soak.byKind
        .slice(0, 12)
        .map(([kind, bytes]) => `${kind} ${f(bytes / 1024, 0)} KiB`)
        .join(", ")}.`,
      "",
    );
  }
  return `${out.join("\n")}\n`;
}
