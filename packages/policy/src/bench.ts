import { fileURLToPath } from "node:url";
import type { PolicyRequest, Sensitivity } from "@leash/core";
import { z } from "zod";
import { compilePolicySet, type PolicySource } from "./compile.js";
import { activatePolicySet, decideWith } from "./decide.js";
import { loadPolicyDir } from "./load.js";

export const BenchOptions = z.strictObject({
  policies: z.number().int().min(1).max(10_000).default(100),
  decisions: z.number().int().min(1).max(10_000_000).default(20_000),
  /** The example set the synthetic policies are added to; defaults to the repository's infra/policies. */
  dir: z.string().min(1).optional(),
});
export type BenchOptions = z.input<typeof BenchOptions>;

export interface BenchResult {
  policies: number;
  decisions: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  /** CPU time per decision: unlike the latencies, it hardly moves when other processes share the cores. */
  cpuMsPerDecision: number;
  allowed: number;
}

const EXAMPLES_DIR = fileURLToPath(new URL("../../../infra/policies/", import.meta.url));
const ACTIONS = ["read", "write", "list", "invoke", "delete", "s3:GetObject"] as const;
const PERMITTED_ACTIONS = ["read", "write", "list", "invoke", "delete"] as const;
const SENSITIVITIES: readonly Sensitivity[] = ["public", "internal", "confidential", "restricted"];
const DESTINATIONS = [undefined, "warehouse.internal", "reports.internal", "pastebin.example"] as const;

/**
 * Measures single decisions (as the issue path makes them) against the example set padded with synthetic
 * policies to `policies` in all, over a varied pool of requests. Runs in the calling thread.
 */
export async function benchPolicyDecisions(options: BenchOptions = {}): Promise<BenchResult> {
  const { policies, decisions, dir } = BenchOptions.parse(options);
  const examples = await loadPolicyDir(dir ?? EXAMPLES_DIR);
  const sources: PolicySource[] = [...examples.policies.values()].map((p) => ({
    file: p.file,
    text: p.text,
  }));
  const synthetic = policies - sources.length;
  if (synthetic > 0) sources.push({ file: "<bench>", text: syntheticPolicies(synthetic) });
  const compiled = compilePolicySet(examples.schema, sources);
  const active = activatePolicySet("leash-policy-bench", compiled);

  const pool = requestPool(97);
  for (let i = 0; i < Math.min(2_000, decisions); i += 1)
    decideWith(active, pool[i % pool.length] as PolicyRequest);

  const samples = new Float64Array(decisions);
  let allowed = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let i = 0; i < decisions; i += 1) {
    const request = pool[i % pool.length] as PolicyRequest;
    const t0 = performance.now();
    const decision = decideWith(active, request);
    samples[i] = performance.now() - t0;
    if (decision.allowed) allowed += 1;
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  samples.sort();
  return {
    policies: compiled.policies.size,
    decisions,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    perSecond: Math.round((decisions / elapsedMs) * 1000),
    cpuMsPerDecision: (cpu.user + cpu.system) / 1000 / decisions,
    allowed,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * Policies shaped like real ones: one third forbids on every action (context conditions), the rest permits
 * scoped to one action each, for one team and one tool, with a TTL cap and a scope hint.
 */
function syntheticPolicies(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i % 3 === 2) {
      out.push(`@id("bench-forbid-${i}")
forbid (principal, action in Leash::Action::"any", resource)
when { context.task.depth > ${3 + (i % 4)} && context has purpose && context.purpose like "*blocked-${i}*" };`);
    } else {
      out.push(`@id("bench-permit-${i}")
@max_ttl("${600 + i}")
@scope("tool-${i}")
permit (principal, action == Leash::Action::"${PERMITTED_ACTIONS[i % PERMITTED_ACTIONS.length]}", resource)
when { principal.labels.contains("team=t${i % 10}") && resource has tool && resource.tool == "tool-${i % 50}" &&
  resource.sensitivity_rank <= ${i % 4} && context.environment != "blocked" };`);
    }
  }
  return out.join("\n\n");
}

function requestPool(size: number): PolicyRequest[] {
  const base = Date.UTC(2025, 0, 6, 0, 0, 0);
  return Array.from({ length: size }, (_, i) => ({
    agent: {
      id: `spiffe://corp.example/agent/${i % 13}`,
      trustDomain: "corp.example",
      path: `/agent/${i % 13}`,
      labels: { team: `t${i % 10}`, tier: "batch" },
    },
    intent: {
      action: ACTIONS[i % ACTIONS.length] ?? "read",
      resource: `s3:bucket-${i % 7}/reports/${i}.csv`,
      tool: `tool-${i % 50}`,
      sensitivity: SENSITIVITIES[i % SENSITIVITIES.length],
      destination: DESTINATIONS[i % DESTINATIONS.length],
      purpose: i % 5 === 0 ? undefined : `quarterly report ${i}`,
    },
    task: {
      id: `task-${i}`,
      labels: { project: "q4" },
      remainingSeconds: 600 + i * 17,
      depth: i % 6,
      chain: Array.from({ length: i % 6 }, (_, d) => `spiffe://corp.example/agent/${d}`),
      breakGlass: false,
    },
    provider: i % 2 === 0 ? "aws-sts" : "vault",
    target: i % 3 === 0 ? null : `role-${i % 4}`,
    ttlSeconds: 300 + (i % 10) * 60,
    environment: "production",
    now: new Date(base + i * 3_600_000 * 7),
    exposure: { liveLeases: i % 25 },
  }));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchPolicyDecisions({});
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
