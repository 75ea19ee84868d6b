import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import {
  DEV_API_SECRET,
  freePort,
  type SpawnedProcess,
  spawnTs,
  startDevVault,
  waitFor,
  writeKvSecret,
} from "@leash/devstack";
import { CONFIG } from "./config.js";
import { cpuSplit } from "./cpu.js";
import type { LoadResult } from "./generator.js";
import type { LoadFigure } from "./issuance.js";
import { closedFixed } from "./load.js";
import { type BenchStack, startBenchStack } from "./stack.js";
import { median, summarize } from "./stats.js";
import type { FixedRequest } from "./workload.js";

export { gatewayReport } from "./gateway-report.js";

/**
 * Section `gateway`: the same GET against the upstream directly and through the gateway, alternating within each
 * run at 64 concurrent clients, and how long a lease takes to be refused after its task completes while that load
 * runs. The upstream is the API emulator in its own process, in two cases: a small JSON resource answered at once
 * (the worst case for the gateway's share: the upstream costs almost nothing, so the gateway's CPU is the limit),
 * and the same emulator answering after 20 ms, as remote APIs do.
 */
const CONCURRENCY = 64;
const UPSTREAM = "demo-api";

interface Case {
  name: string;
  /** The intent's resource, and the path (with query) under it that every request gets. */
  resource: string;
  path: string;
}

const CASES: readonly Case[] = [
  {
    name: "upstream answering at once (small JSON)",
    resource: "repos/leash-dev/demo/",
    path: "repos/leash-dev/demo/issues",
  },
  { name: "upstream answering in 20 ms", resource: "slow", path: "slow?ms=20" },
];
const AGENT = "spiffe://dev.local/agent/gateway-bench";
const ORCHESTRATOR = "spiffe://dev.local/orchestrator";
/** Between two refusal samples, so issuing and revoking them takes little from the load being measured. */
const SAMPLE_GAP_MS = 150;

export interface GatewayFigure {
  case: string;
  concurrency: number;
  runs: number;
  seconds: number;
  direct: LoadFigure;
  gateway: LoadFigure;
  /** Task completion sent -> the lease's first 403 lease_not_live from the gateway, under the gateway load (ms). */
  refusal: ReturnType<typeof summarize>;
  /** CPU ms per request by process, in the direct and the gateway runs. */
  cpuMsPerRequest: { direct: Record<string, number>; gateway: Record<string, number> };
  /** Cores busy by process during the gateway runs. */
  cores: Record<string, number>;
  /** The gateway's own work before forwarding (its overhead histogram over the gateway runs): bucket bounds, ms. */
  ownWork: { p50: number; p99: number; n: number };
}

/** `leash_gateway_overhead_seconds` bucket counts from the gateway's /metrics, by upper bound (s). */
async function overheadBuckets(origin: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^leash_gateway_overhead_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)) {
    const le = m[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** The upper bounds (ms) of the buckets holding the median and the 99th percentile of what was observed between. */
function bucketQuantiles(before: Map<number, number>, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const n = counts.at(-1) ?? 0;
  const at = (q: number) => 1000 * (bounds[counts.findIndex((c) => c >= q * n)] ?? Number.NaN);
  return { p50: at(0.5), p99: at(0.99), n };
}

interface Upstream {
  url: string;
  process: SpawnedProcess;
}

async function startUpstream(apiKey: string): Promise<Upstream> {
  const process = spawnTs("upstream", "test/bench/upstream-server.ts", {
    env: { ...globalThis.process.env, UPSTREAM_API_KEY: apiKey, PORT: "0" },
  });
  const url = await waitFor(() => /^upstream (\S+)$/m.exec(process.output())?.[1], {
    timeoutMs: 30_000,
    what: "the upstream emulator",
  });
  return { url, process };
}

/** The gateway section: one upstream whose key the gateway reads from its own Vault's KV v2. */
function gatewaySection(upstream: string, vaultUrl: string) {
  return {
    upstreams: {
      [UPSTREAM]: {
        url: upstream,
        auth: { type: "header", name: "authorization", format: "Bearer {secret}", secret: DEV_API_SECRET },
      },
    },
    vault: { address: vaultUrl, auth: { method: "token", token_env: "BENCH_GATEWAY_VAULT_TOKEN" } },
  };
}

interface Lease {
  taskId: string;
  token: string;
  url: string;
}

async function gatewayLease(stack: BenchStack, orchestrator: string, agent: string, c: Case): Promise<Lease> {
  const task = await stack.post("/v1/tasks", orchestrator, {
    agent: AGENT,
    ceiling: [{ action: "read", resource: c.resource.endsWith("/") ? `${c.resource}*` : c.resource }],
    ttl_seconds: 3600,
  });
  const issued = (await stack.post("/v1/leases", agent, {
    task_id: task.id,
    provider: "gateway",
    target: UPSTREAM,
    intent: { action: "read", resource: c.resource },
    ttl_seconds: 3600,
  })) as unknown as { credential: { token: string; base_url: string } };
  return {
    taskId: task.id ?? "",
    token: issued.credential.token,
    url: `${issued.credential.base_url}${c.path}`,
  };
}

const get = async (url: string, token: string) => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.text() };
};

/**
 * While `running()`: a fresh lease is used once, its task completed, and the gateway asked again back to back until
 * it refuses; the time from sending the completion to that refusal is one sample. Samples that end after the load
 * stopped are dropped (they were not measured under it).
 */
async function refusals(stack: BenchStack, orchestrator: string, agent: string, running: () => boolean) {
  const samples: number[] = [];
  while (running()) {
    const lease = await gatewayLease(stack, orchestrator, agent, CASES[0] as Case);
    const first = await get(lease.url, lease.token);
    if (first.status !== 200) throw new Error(`a fresh gateway lease got ${first.status}: ${first.body}`);
    const sent = performance.now();
    await stack.post(`/v1/tasks/${lease.taskId}/complete`, orchestrator);
    for (;;) {
      const answer = await get(lease.url, lease.token);
      if (answer.status === 403) {
        if (!answer.body.includes("lease_not_live")) throw new Error(`refused otherwise: ${answer.body}`);
        break;
      }
      if (performance.now() - sent > 10_000)
        throw new Error("a revoked gateway lease still works after 10 s");
    }
    if (running()) samples.push(performance.now() - sent);
    await delay(SAMPLE_GAP_MS);
  }
  return samples;
}

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

/** What each process spent during one run, and how many requests it answered. */
interface CpuShare {
  cpu: Record<string, number>;
  requests: number;
}

/** CPU ms per answered request, by process, summed over runs. */
function perRequest(splits: readonly CpuShare[]): Record<string, number> {
  const requests = splits.reduce((sum, s) => sum + s.requests, 0);
  const out: Record<string, number> = {};
  for (const s of splits) for (const [name, c] of Object.entries(s.cpu)) out[name] = (out[name] ?? 0) + c;
  return Object.fromEntries(
    Object.entries(out).map(([name, c]) => [name, (1000 * c) / Math.max(1, requests)]),
  );
}

/** Runs the section on its own stack (API, worker, gateway, upstream) against the bench's Redis. */
export async function gatewayBench(redisUrl: string): Promise<GatewayFigure[]> {
  const apiKey = `bench-${randomBytes(24).toString("base64url")}`;
  const vault = await startDevVault();
  const upstream = await startUpstream(apiKey);
  const profile = process.env.BENCH_GATEWAY_PROFILE;
  try {
    await writeKvSecret(vault.emulator, DEV_API_SECRET.vault_kv, { [DEV_API_SECRET.key]: apiKey });
    const port = await freePort();
    const stack = await startBenchStack({
      redisUrl,
      config: { gateway: gatewaySection(upstream.url, vault.emulator.url) },
      env: { LEASH_GATEWAY_PORT: String(port), BENCH_GATEWAY_VAULT_TOKEN: vault.emulator.rootToken },
      gateway: profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profile}` } : {},
    });
    try {
      const figures: GatewayFigure[] = [];
      for (const c of CASES) figures.push(await measure(stack, upstream, apiKey, c));
      return figures;
    } finally {
      await stack.stop();
    }
  } finally {
    await upstream.process.stop();
    await vault.emulator.stop();
  }
}

async function measure(
  stack: BenchStack,
  upstream: Upstream,
  apiKey: string,
  c: Case,
): Promise<GatewayFigure> {
  const orchestrator = await stack.issuer.mint({ sub: ORCHESTRATOR, ttlSeconds: 86_400 });
  const agent = await stack.issuer.mint({ sub: AGENT, ttlSeconds: 86_400 });
  const load = await gatewayLease(stack, orchestrator, agent, c);
  const direct: FixedRequest = {
    method: "GET",
    path: `/${c.path}`,
    headers: { authorization: `Bearer ${apiKey}` },
    status: 200,
  };
  const origin = new URL(load.url).origin;
  const through: FixedRequest = {
    method: "GET",
    path: load.url.slice(origin.length),
    headers: { authorization: `Bearer ${load.token}` },
    status: 200,
  };
  const pids = { ...stack.pids(), upstream: upstream.process.child.pid ?? 0 };
  // Warm both paths (JIT, connection pools, the secret read from Vault) before anything counts.
  await closedFixed(upstream.url, CONCURRENCY, 1, direct);
  await closedFixed(origin, CONCURRENCY, 1, through);

  const runs = { direct: [] as LoadResult[], gateway: [] as LoadResult[] };
  const cpu: Record<"direct" | "gateway", CpuShare[]> = { direct: [], gateway: [] };
  const cores: Record<string, number[]> = {};
  const samples: number[] = [];
  const own = { before: new Map<number, number>(), after: new Map<number, number>() };
  for (let run = 0; run < CONFIG.runs; run++) {
    const d = await cpuSplit(pids, () => closedFixed(upstream.url, CONCURRENCY, CONFIG.seconds, direct));
    runs.direct.push(d.result);
    cpu.direct.push({ cpu: d.cpu, requests: d.result.issued });
    let loading = true;
    if (run === 0) own.before = await overheadBuckets(origin);
    const g = await cpuSplit(pids, async () => {
      const result = closedFixed(origin, CONCURRENCY, CONFIG.seconds, through).finally(() => {
        loading = false;
      });
      const sampled = refusals(stack, orchestrator, agent, () => loading);
      const [r, s] = await Promise.all([result, sampled]);
      samples.push(...s);
      return r;
    });
    runs.gateway.push(g.result);
    cpu.gateway.push({ cpu: g.cpu, requests: g.result.issued });
    for (const [name, c] of Object.entries(g.cpu)) cores[name] = [...(cores[name] ?? []), c / g.seconds];
  }
  // The refusal samples' requests are in it too: a few dozen among tens of thousands.
  own.after = await overheadBuckets(origin);
  return {
    case: c.name,
    concurrency: CONCURRENCY,
    runs: CONFIG.runs,
    seconds: CONFIG.seconds,
    direct: fold(runs.direct),
    gateway: fold(runs.gateway),
    refusal: summarize(samples),
    cpuMsPerRequest: { direct: perRequest(cpu.direct), gateway: perRequest(cpu.gateway) },
    cores: Object.fromEntries(Object.entries(cores).map(([k, v]) => [k, median(v)])),
    ownWork: bucketQuantiles(own.before, own.after),
  };
}
