import type { GatewayFigure } from "./gateway.js";
import type { LoadFigure } from "./issuance.js";

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const mark = (ok: boolean) => (ok ? "met" : "**not met**");
const listed = (m: Record<string, number>, digits: number) =>
  Object.entries(m)
    .filter(([, v]) => v > 0.0005)
    .map(([k, v]) => `${k} ${f(v, digits)}`)
    .join(", ");

/** The gateway section's Markdown (test/bench/gateway.ts measures it), for the report and BENCHMARKS.md. */
export function gatewayReport(figures: readonly GatewayFigure[]): string {
  return figures.map(caseReport).join("");
}

function caseReport(g: GatewayFigure): string {
  const addedP50 = g.gateway.p50 - g.direct.p50;
  const addedP99 = g.gateway.p99 - g.direct.p99;
  const ratio = g.gateway.rate / g.direct.rate;
  const runs = (x: LoadFigure) => x.rates.map((r) => f(r, 0)).join(", ");
  return `${[
    `### Gateway, ${g.case} (${g.concurrency} concurrent clients, the same GET direct and through the gateway, alternating; ${g.runs} x ${g.seconds} s)`,
    "",
    row(["figure", "direct", "through the gateway", "added / ratio", "goal", ""]),
    row(["---", "---", "---", "---", "---", "---"]),
    row([
      "latency p50 (ms)",
      f(g.direct.p50, 2),
      f(g.gateway.p50, 2),
      `+${f(addedP50, 2)}`,
      "< 1 ms added",
      mark(addedP50 < 1),
    ]),
    row([
      "latency p99 (ms)",
      f(g.direct.p99, 2),
      f(g.gateway.p99, 2),
      `+${f(addedP99, 2)}`,
      "< 5 ms added",
      mark(addedP99 < 5),
    ]),
    row([
      "throughput (req/s, runs)",
      `${f(g.direct.rate, 0)} (${runs(g.direct)})`,
      `${f(g.gateway.rate, 0)} (${runs(g.gateway)})`,
      `${f(100 * ratio, 0)}% of direct`,
      ">= 70%",
      mark(ratio >= 0.7),
    ]),
    row([
      `completion -> refusal p50 / p99 (ms, n=${g.refusal.n}, under the gateway load)`,
      "",
      `${f(g.refusal.p50, 0)} / ${f(g.refusal.p99, 0)} (max ${f(g.refusal.max, 0)})`,
      "",
      "p99 < 1000",
      mark(g.refusal.p99 < 1000),
    ]),
    "",
    `The gateway's own work before forwarding a request (token, lease, intent, credential; its \`leash_gateway_overhead_seconds\`, n=${g.ownWork.n}): p50 <= ${g.ownWork.p50} ms, p99 <= ${g.ownWork.p99} ms (histogram bucket bounds); the rest of the added latency is waiting for a CPU.`,
    `CPU ms per request, direct: ${listed(g.cpuMsPerRequest.direct, 3)}; through the gateway: ${listed(g.cpuMsPerRequest.gateway, 3)}.`,
    `Cores busy during the gateway runs: ${listed(g.cores, 2)}.`,
    "",
    `Errors: direct ${g.direct.errors}, gateway ${g.gateway.errors}.${g.gateway.firstError ? ` First: ${g.gateway.firstError}` : ""}`,
  ].join("\n")}\n\n`;
}
