import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDevIssuer,
  devTrustConfig,
  ENTRYPOINTS,
  freePort,
  spawnTs,
  startDevAws,
  startDevIssuerServer,
  startDevVault,
  startRedisServer,
  waitFor,
} from "@leash/devstack";
import { benchPolicyDecisions } from "@leash/policy";
import { rotateSigningKeys } from "@leash/providers";
import { connectRedis, createStore } from "@leash/store";
import { seedActiveLeases } from "../support/seed.js";
import { closedLoop, openLoop, type Shot } from "./load.js";
import { median, summarize } from "./stats.js";

/**
 * `pnpm bench`: the API, the worker and Redis co-located on this machine, driven over real HTTP. Every figure is the
 * median over RUNS runs; the floor baseline (JWT verification + one Redis write in a bare Hono route) runs
 * alternately with the broker so machine drift affects both alike.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const AGENTS = 32;

const dir = mkdtempSync(join(tmpdir(), "leash-bench-"));
const redis = await startRedisServer();
const issuer = await createDevIssuer();
const issuerServer = await startDevIssuerServer(issuer);
const vault = await startDevVault();
const aws = await startDevAws();
const configFile = join(dir, "leash.json");
writeFileSync(
  configFile,
  JSON.stringify({
    ...devTrustConfig({ issuerUrl: issuerServer.issuerUrl, jwksUri: issuerServer.jwksUri }),
    providers: { "leash-jwt": {}, vault: vault.providerConfig, "aws-sts": aws.providerConfig },
  }),
);
const signingKeys = join(dir, "signing.json");
await rotateSigningKeys(signingKeys);
const [apiPort, floorPort] = [await freePort(), await freePort()];
const api = `http://127.0.0.1:${apiPort}`;
const floor = `http://127.0.0.1:${floorPort}`;
const prefix = `bench:{${randomUUID()}}:`;
const env = {
  ...process.env,
  PORT: String(apiPort),
  REDIS_URL: redis.url,
  LEASH_CONFIG: configFile,
  LEASH_SIGNING_KEY_FILE: signingKeys,
  LEASH_PUBLIC_URL: api,
  LEASH_REDIS_PREFIX: prefix,
  LOG_LEVEL: "warn",
  ...vault.env,
  ...aws.env,
};
const processes = [
  spawnTs("api", ENTRYPOINTS.api, { env }),
  spawnTs("worker", ENTRYPOINTS.worker, { env }),
  spawnTs("floor", "test/bench/floor-server.ts", {
    env: {
      ...env,
      PORT: String(floorPort),
      FLOOR_JWKS: JSON.stringify(issuer.jwks()),
      FLOOR_ISSUER: issuerServer.issuerUrl,
    },
  }),
];
const stopAll = async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await issuerServer.stop();
  await vault.emulator.stop();
  await aws.emulator.stop();
  await redis.stop();
};

try {
  await waitFor(async () => ((await fetch(`${api}/readyz`).catch(() => undefined))?.ok ? true : undefined), {
    timeoutMs: 60_000,
    what: "the API",
  });
  await waitFor(async () => ((await fetch(`${floor}/`).catch(() => undefined)) ? true : undefined), {
    timeoutMs: 60_000,
    what: "the floor server",
  });
  const orch = await issuer.mint({ sub: "spiffe://dev.local/orchestrator" });
  const post = async (path: string, token: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  const newTask = async (agent: string) =>
    (
      await post("/v1/tasks", orch, {
        agent,
        ceiling: [
          { action: "read", resource: "docs/*" },
          { action: "read", resource: "secret/*" },
        ],
        ttl_seconds: 3600,
      })
    ).id ?? "";
  const agents = await Promise.all(
    Array.from({ length: AGENTS }, async (_, i) => {
      const sub = `spiffe://dev.local/agent/bench-${i}`;
      return { sub, token: await issuer.mint({ sub }), taskId: await newTask(sub) };
    }),
  );
  let n = 0;
  const shot = (client: number): Shot => {
    const a = agents[client % AGENTS];
    if (!a) throw new Error("no agent");
    return {
      path: "/v1/leases",
      token: a.token,
      body: {
        task_id: a.taskId,
        provider: "leash-jwt",
        intent: { action: "read", resource: `docs/${n++}` },
        ttl_seconds: 600,
      },
    };
  };

  const store = createStore(connectRedis(redis.url, { mode: "worker" }), prefix);
  const memory = async () => Number(/used_memory:(\d+)/.exec(await store.redis.info("memory"))?.[1] ?? 0);
  const auditMemory = async () => Number((await store.redis.call("MEMORY", "USAGE", `${prefix}audit`)) ?? 0);
  const memBefore = await memory();
  const auditBefore = await auditMemory();
  const liveBefore = await store.leases.liveCount({});

  // Warm-up: JIT, connection pools, verification cache.
  await closedLoop(api, AGENTS, 1000, shot);
  await closedLoop(floor, AGENTS, 1000, shot);

  const broker = { rate: [] as number[], p50: [] as number[], p99: [] as number[], errors: 0 };
  const base = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const half = { p50: [] as number[], p99: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    const b = await closedLoop(api, AGENTS, SECONDS * 1000, shot);
    const sb = summarize(b.latencies);
    broker.rate.push(b.perSecond);
    broker.p50.push(sb.p50);
    broker.p99.push(sb.p99);
    broker.errors += b.errors;
    const f = await closedLoop(floor, AGENTS, SECONDS * 1000, shot);
    const sf = summarize(f.latencies);
    base.rate.push(f.perSecond);
    base.p50.push(sf.p50);
    base.p99.push(sf.p99);
    const h = await openLoop(api, Math.max(1, Math.floor(b.perSecond / 2)), SECONDS * 1000, shot);
    const sh = summarize(h.latencies);
    half.p50.push(sh.p50);
    half.p99.push(sh.p99);
  }
  const liveAfter = await store.leases.liveCount({});
  const auditBytes = await auditMemory();
  // The audit stream is an event log with its own retention, not per-lease state: reported on its own line.
  const bytesPerLease =
    ((await memory()) - memBefore - (auditBytes - auditBefore)) / Math.max(1, liveAfter - liveBefore);
  const auditEntries = await store.redis.xlen(`${prefix}audit`);

  // Completion -> revoked at the provider (worker-confirmed), and expiry lateness, from the lease records.
  const completion: number[] = [];
  const lateness: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const sent = new Map<string, number>();
    const leaseIds: string[] = [];
    for (let i = 0; i < 50; i++) {
      const a = agents[i % AGENTS];
      if (!a) continue;
      const taskId = await newTask(a.sub);
      const l = await post("/v1/leases", a.token, {
        task_id: taskId,
        provider: "leash-jwt",
        intent: { action: "read", resource: "docs/c" },
      });
      leaseIds.push(l.lease_id ?? "");
      sent.set(l.lease_id ?? "", Date.now());
      await post(`/v1/tasks/${taskId}/complete`, orch);
    }
    const expiring: { id: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const a = agents[i % AGENTS];
      if (!a) continue;
      const l = await post("/v1/leases", a.token, {
        task_id: a.taskId,
        provider: "leash-jwt",
        intent: { action: "read", resource: "docs/e" },
        ttl_seconds: 1,
      });
      expiring.push({ id: l.lease_id ?? "" });
    }
    const settled = await waitFor(
      async () => {
        const all = await store.leases.getMany([...leaseIds, ...expiring.map((e) => e.id)]);
        return all.every((l) => l.state === "revoked" || l.state === "expired") ? all : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: "revocations to settle" },
    );
    for (const l of settled) {
      const at = sent.get(l.id);
      if (at !== undefined) completion.push((l.revokedAt ?? 0) - at);
      else lateness.push((l.revokedAt ?? 0) - l.expiresAt);
    }
  }
  // Per provider against the emulators (each mint is a real HTTP call to STS or Vault).
  const perProvider: Record<string, { rate: number[]; p99: number[] }> = {};
  const providerShot =
    (provider: string) =>
    (client: number): Shot => {
      const a = agents[client % AGENTS];
      if (!a) throw new Error("no agent");
      const intent =
        provider === "vault"
          ? { action: "read", resource: `secret/${n++}` }
          : { action: "read", resource: `docs/${n++}` };
      const target = provider === "vault" ? "kv-reader" : "docs-reader";
      return {
        path: "/v1/leases",
        token: a.token,
        body: { task_id: a.taskId, provider, target, intent, ttl_seconds: 600 },
      };
    };
  for (const provider of ["aws-sts", "vault"]) {
    perProvider[provider] = { rate: [], p99: [] };
    for (let run = 0; run < RUNS; run++) {
      const r = await closedLoop(api, AGENTS, Math.max(1000, (SECONDS * 1000) / 2), providerShot(provider));
      perProvider[provider]?.rate.push(r.perSecond);
      perProvider[provider]?.p99.push(summarize(r.latencies).p99);
      broker.errors += r.errors;
      if (r.firstError) process.stderr.write(`${provider}: ${r.errors} errors, first: ${r.firstError}\n`);
    }
  }

  // Mass revocation of everything live (top it up to at least 10,000 leases), across all three providers.
  const live = await store.leases.liveCount({});
  const firstAgent = agents[0];
  if (firstAgent && live < 10_000)
    await seedActiveLeases(store, firstAgent.taskId, 10_000 - live, () => firstAgent.sub);
  const security = await issuer.mint({ sub: "spiffe://dev.local/security/bench" });
  const massStarted = Date.now();
  const order = await post("/v1/revocations", security, { selector: { all: true }, reason: "bench" });
  const mass = await waitFor(
    async () => {
      const res = await fetch(`${api}/v1/revocations/${order.id}`, {
        headers: { authorization: `Bearer ${security}` },
      });
      const body = (await res.json()) as { state: string; matched: number; revoked: number };
      return body.state !== "running" ? body : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50, what: "the mass revocation" },
  );
  const massMs = Date.now() - massStarted;
  const byProvider = (
    await store.leases.getMany(await store.redis.lrange(store.keys.campaignTargets(order.id ?? ""), 0, -1))
  ).reduce<Record<string, number>>((acc, l) => {
    acc[l.provider] = (acc[l.provider] ?? 0) + 1;
    return acc;
  }, {});

  const policyBench = await benchPolicyDecisions({ policies: 100, decisions: 20_000 });

  const sc = summarize(completion);
  const sl = summarize(lateness);
  const fmt = (v: number, d = 1) => v.toFixed(d);
  const ratio = median(base.rate) / median(broker.rate);
  const lines = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}; API, worker, Redis and load generator co-located`,
    `runs: ${RUNS} x ${SECONDS}s per figure, ${AGENTS} concurrent agents over HTTP keep-alive; medians across runs`,
    "",
    "| figure | measured | target |",
    "|---|---|---|",
    `| issuance throughput, leash-jwt (req/s) | ${fmt(median(broker.rate), 0)} (runs: ${broker.rate.map((r) => fmt(r, 0)).join(", ")}) | >= 2000 |`,
    `| issuance latency at full load p50 / p99 (ms) | ${fmt(median(broker.p50))} / ${fmt(median(broker.p99))} | |`,
    `| issuance latency at half that rate p50 / p99 (ms) | ${fmt(median(half.p50))} / ${fmt(median(half.p99))} | p99 < 25 |`,
    `| floor baseline throughput (req/s) | ${fmt(median(base.rate), 0)} (p50 ${fmt(median(base.p50))} ms, p99 ${fmt(median(base.p99))} ms) | |`,
    `| broker overhead (floor rate / broker rate) | ${fmt(ratio, 2)}x | <= 2x |`,
    `| completion -> revoked p50 / p99 (ms, n=${sc.n}) | ${fmt(sc.p50, 0)} / ${fmt(sc.p99, 0)} | p99 < 250 |`,
    `| expiry lateness p50 / p99 (ms, n=${sl.n}) | ${fmt(sl.p50, 0)} / ${fmt(sl.p99, 0)} | p99 < 1000 |`,
    `| Redis bytes per live lease (lease, indexes, deadline; audit excluded) | ${fmt(bytesPerLease, 0)} | < 1024 |`,
    `| of which audit stream, bytes per event | ${fmt(auditBytes / Math.max(1, auditEntries), 0)} | |`,
    ...Object.entries(perProvider).map(
      ([p, r]) =>
        `| issuance via ${p} (emulator) req/s / p99 ms | ${fmt(median(r.rate), 0)} / ${fmt(median(r.p99))} | |`,
    ),
    `| mass revocation of ${mass.matched} live leases (${Object.entries(byProvider)
      .map(([p, c]) => `${p} ${c}`)
      .join(
        ", ",
      )}) | ${fmt(massMs / 1000, 2)} s (${fmt(mass.matched / (massMs / 1000), 0)} leases/s), ${mass.state} | < 10 s for 10,000 |`,
    `| Cedar decision, 100 policies, p50 / p99 (ms) | ${fmt(policyBench.p50Ms, 3)} / ${fmt(policyBench.p99Ms, 3)} | p99 < 1 |`,
    `| errors during load | ${broker.errors} | 0 |`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await store.redis.quit();
} finally {
  await stopAll();
}
