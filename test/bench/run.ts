import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startRedisServer } from "@leash/devstack";
import { benchPolicyDecisions } from "@leash/policy";
import { seedActiveLeases } from "../support/seed.js";
import { createAgents, PROVIDERS } from "./agents.js";
import { type CapacityRun, capacity, capacityReport } from "./capacity.js";
import { CONFIG, wants } from "./config.js";
import { type GatewayFigure, gatewayBench, gatewayReport } from "./gateway.js";
import { issuance, overhead, perProvider } from "./issuance.js";
import { stopLoadGenerator } from "./load.js";
import { type TokenEndpointFigure, tokenEndpointBench, tokenEndpointReport } from "./oauth-token.js";
import { type OpsSection, opsReport, opsSection } from "./ops.js";
import { type QuotaCostFigure, quotaCost, quotaReport } from "./quotas.js";
import { type ReevaluateFigure, reevaluate, reevaluateReport } from "./reevaluate.js";
import { report } from "./report.js";
import { type KitFigure, kitReport, kitVerificationCost } from "./resource-kit.js";
import { massRevocation, revocationLatency } from "./revocation.js";
import { memoryBaseline, scale } from "./scale.js";
import { type ShardTopologyFigure, shardsBench, shardsReport } from "./shards.js";
import { soak, soakEnv } from "./soak.js";
import { startBenchStack } from "./stack.js";

/**
 * `pnpm bench`: API, worker, Redis and the load generator co-located on this machine, driven over real HTTP.
 * Every figure is the median of CONFIG.runs runs. Sizes come from BENCH_* variables (see config.ts).
 */
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const redis = await startRedisServer();
const results: Parameters<typeof report>[0] = {
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}`,
  config: CONFIG,
  issuance: [],
  scaleOut: [],
};
let quotas: QuotaCostFigure | undefined;
let reevaluation: ReevaluateFigure | undefined;
let kit: KitFigure | undefined;
let ops: OpsSection | undefined;
let capacityRuns: CapacityRun[] | undefined;
let shardFigures: ShardTopologyFigure[] | undefined;
let gateway: GatewayFigure[] | undefined;
let token: TokenEndpointFigure | undefined;
try {
  // First, on a quiet machine: Cedar alone, in this process.
  if (wants("policy")) results.policy = await benchPolicyDecisions({ policies: 100, decisions: 20_000 });
  // The resource kit alone, in this process too: what a resource server spends verifying each request.
  if (wants("kit")) kit = await kitVerificationCost(20_000, CONFIG.runs);
  const onMainStack = (["overhead", "providers", "revocation", "scale", "mass"] as const).some(wants);
  const stack = onMainStack ? await startBenchStack({ redisUrl: redis.url, floor: true }) : undefined;
  if (stack)
    try {
      const orchestrator = await stack.issuer.mint({
        sub: "spiffe://dev.local/orchestrator",
        ttlSeconds: 86_400,
      });
      const agents = await createAgents(stack, orchestrator, Math.max(...CONFIG.concurrency));
      const baseline = await memoryBaseline(stack);

      // Scale first, from an empty store, so its levels are what they say; the mass revocation at the end empties it.
      if (wants("scale")) {
        log("scale");
        results.scale = await scale(stack, agents, orchestrator, baseline);
      }

      if (wants("overhead")) {
        log("overhead against the floor baseline");
        results.overhead = await overhead(stack, agents, 32);
      }
      for (const concurrency of wants("providers") ? CONFIG.concurrency : []) {
        log(`issuance per provider x${concurrency}, alternating with the floor`);
        const o = concurrency === 32 ? results.overhead : undefined;
        const figures = await perProvider(
          stack,
          agents,
          concurrency,
          o ? { floor: o.floor, "leash-jwt": o.broker } : {},
        );
        for (const provider of PROVIDERS)
          results.issuance.push({ provider, concurrency, figure: figures[provider], floor: figures.floor });
      }
      if (wants("revocation")) {
        log("revocation latency");
        results.revocation = await revocationLatency(stack, agents, orchestrator);
      }

      if (wants("mass")) {
        const live = await stack.store.leases.liveCount({});
        const owner = agents[0];
        if (owner && live < CONFIG.mass)
          await seedActiveLeases(stack.store, owner.taskId, CONFIG.mass - live, () => owner.sub, 3_600_000);
        log("mass revocation");
        results.mass = await massRevocation(stack);
      }

      results.auditBytesPerEvent =
        Number((await stack.redis.call("MEMORY", "USAGE", `${stack.prefix}audit`)) ?? 0) /
        Math.max(1, await stack.redis.xlen(`${stack.prefix}audit`));
    } finally {
      await stack.stop();
    }
  for (const shape of wants("scaleout") ? CONFIG.scaleOut : []) {
    log(`scale-out ${shape.apis} API x ${shape.workers} worker`);
    const stack = await startBenchStack({ redisUrl: redis.url, ...shape });
    try {
      const orchestrator = await stack.issuer.mint({
        sub: "spiffe://dev.local/orchestrator",
        ttlSeconds: 86_400,
      });
      const agents = await createAgents(stack, orchestrator, 256);
      const figure = await issuance(stack, agents, "leash-jwt", 256);
      const latency = await revocationLatency(stack, agents, orchestrator, 30);
      results.scaleOut.push({ ...shape, figure, completionP99: latency.completion.p99 });
    } finally {
      await stack.stop();
    }
  }
  if (wants("reevaluate")) {
    log("re-evaluation of the live leases after a policy change");
    reevaluation = await reevaluate(redis.url, log);
  }
  if (wants("gateway")) {
    log("gateway: the same GET direct and through the gateway, and completion -> refusal under that load");
    gateway = await gatewayBench(redis.url);
  }
  if (wants("ops")) ops = await opsSection(redis.url, log);
  if (wants("capacity")) capacityRuns = await capacity(redis.url, log, CONFIG.runs);
  if (wants("shards")) shardFigures = await shardsBench(redis.url, log);
  if (wants("token")) {
    log("the OAuth token endpoint against POST /v1/leases");
    token = await tokenEndpointBench(redis.url);
  }
  if (wants("quotas")) {
    log("issuance with and without quotas");
    quotas = await quotaCost(redis.url);
  }
  if (wants("soak")) {
    log(
      `soak: ${CONFIG.soak.rate} leases/s for ${CONFIG.soak.seconds} s, retention ${CONFIG.soak.retentionSeconds} s`,
    );
    const stack = await startBenchStack({ redisUrl: redis.url, env: soakEnv(CONFIG.soak) });
    try {
      const orchestrator = await stack.issuer.mint({
        sub: "spiffe://dev.local/orchestrator",
        ttlSeconds: 86_400,
      });
      results.soak = await soak(stack, orchestrator, CONFIG.soak);
    } finally {
      await stack.stop();
    }
  }
} finally {
  await stopLoadGenerator();
  await redis.stop();
}
const text =
  report(results) +
  (quotas ? quotaReport(quotas) : "") +
  (reevaluation ? reevaluateReport(reevaluation) : "") +
  (kit ? kitReport(kit) : "") +
  (gateway ? gatewayReport(gateway) : "") +
  (token ? tokenEndpointReport(token) : "") +
  (ops ? opsReport(ops) : "") +
  (capacityRuns ? capacityReport(capacityRuns) : "") +
  (shardFigures ? shardsReport(shardFigures) : "");
process.stdout.write(text);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, text);
