import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDevIssuer,
  type DevAws,
  type DevIssuer,
  type DevIssuerServer,
  type DevVault,
  devTrustConfig,
  ENTRYPOINTS,
  freePort,
  type RedisServer,
  type SpawnedProcess,
  startDevAws,
  startDevIssuerServer,
  startDevVault,
  startRedisServer,
  waitFor,
} from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import { Supervised } from "./supervised.js";

/**
 * Timings the chaos runs use, chosen so each fault's bound is short enough to wait out: the reconciler settles an
 * orphaned `pending` lease after PENDING_GRACE_MS (longer than a mint may take, MINT_TIMEOUT_MS, even under the
 * injected latency), a job held by a killed worker moves on after JOB_LOCK_MS.
 */
export const TIMINGS = {
  MINT_TIMEOUT_MS: 5_000,
  PENDING_GRACE_MS: 6_000,
  RECONCILE_INTERVAL_MS: 500,
  JOB_LOCK_MS: 1_500,
  DEADLINE_POLL_MS: 100,
} as const;

export interface ClusterOptions {
  /**
   * LEASH_FAILPOINTS of a second API process, a replica of the first (API processes are stateless), that the
   * API fault drives and kills; the first one stays up for everything else.
   */
  faultyApiFailpoints: string;
}

export interface Cluster {
  api: string;
  /** The replica whose failpoints are armed. */
  faultyApi: string;
  prefix: string;
  redis: RedisServer;
  vault: DevVault;
  aws: DevAws;
  issuer: DevIssuer;
  apiProcess: Supervised;
  faultyApiProcess: Supervised;
  workerProcess: Supervised;
  /** Extra environment of the worker from its next start on (e.g. LEASH_FAILPOINTS). */
  workerEnv: Record<string, string>;
  token(sub: string): Promise<string>;
  stop(): Promise<void>;
}

async function apiServes(api: string, p: SpawnedProcess): Promise<void> {
  await waitFor(
    async () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error("the API exited");
      const res = await fetch(`${api}/healthz`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 50, what: "the API to serve" },
  );
}

async function workerServes(p: SpawnedProcess): Promise<void> {
  await waitFor(
    () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error("the worker exited");
      return p.output().includes("leash worker started") ? true : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 50, what: "the worker to start" },
  );
}

/**
 * The whole system as separate processes the suite can kill: a private redis-server with AOF (fsync every second,
 * as production runs it) that can be killed and restarted on the same port and data, the Vault and AWS emulators
 * (in this process, so faults are set directly), and supervised API replicas and worker restarted whenever they
 * die.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "leash-chaos-"));
  const redis = await startRedisServer({ appendOnly: true, dir: join(dir, "redis") });
  const vault = await startDevVault();
  const aws = await startDevAws();
  const issuer = await createDevIssuer();
  const issuerServer: DevIssuerServer = await startDevIssuerServer(issuer);
  const configFile = join(dir, "leash.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      ...devTrustConfig({ issuerUrl: issuerServer.issuerUrl, jwksUri: issuerServer.jwksUri }),
      providers: { vault: vault.providerConfig, "aws-sts": aws.providerConfig },
    }),
  );
  const signingKeys = join(dir, "signing-keys.json");
  await rotateSigningKeys(signingKeys);
  const port = await freePort();
  const faultyPort = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const faultyApi = `http://127.0.0.1:${faultyPort}`;
  const prefix = `chaos:{${randomUUID()}}:`;
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    ...vault.env,
    ...aws.env,
    PORT: String(port),
    REDIS_URL: redis.url,
    LEASH_CONFIG: configFile,
    LEASH_SIGNING_KEY_FILE: signingKeys,
    LEASH_PUBLIC_URL: api,
    LEASH_REDIS_PREFIX: prefix,
    LEASH_ENVIRONMENT: "test",
    LEASH_MINT_TIMEOUT_MS: String(TIMINGS.MINT_TIMEOUT_MS),
    LEASH_PENDING_GRACE_MS: String(TIMINGS.PENDING_GRACE_MS),
    LEASH_RECONCILE_INTERVAL_MS: String(TIMINGS.RECONCILE_INTERVAL_MS),
    LEASH_JOB_LOCK_MS: String(TIMINGS.JOB_LOCK_MS),
    LEASH_DEADLINE_POLL_MS: String(TIMINGS.DEADLINE_POLL_MS),
    // The driver is one identity per role issuing hundreds of requests a second; rate limiting is not under test.
    LEASH_RATE_LIMIT_PER_SECOND: "100000",
    LEASH_RATE_LIMIT_BURST: "100000",
  };
  const workerEnv: Record<string, string> = {};
  const apiProcess = new Supervised({
    name: "api",
    entry: ENTRYPOINTS.api,
    env: () => ({ ...base, LOG_LEVEL: "warn" }),
    ready: (p) => apiServes(api, p),
  });
  // Same public URL: task tokens either replica signs are one issuer's, as behind a load balancer.
  const faultyApiProcess = new Supervised({
    name: "api-failpoints",
    entry: ENTRYPOINTS.api,
    env: () => ({
      ...base,
      PORT: String(faultyPort),
      LOG_LEVEL: "warn",
      LEASH_FAILPOINTS: options.faultyApiFailpoints,
    }),
    ready: (p) => apiServes(faultyApi, p),
  });
  const workerProcess = new Supervised({
    name: "worker",
    entry: ENTRYPOINTS.worker,
    env: () => ({ ...base, LOG_LEVEL: "info", ...workerEnv }),
    ready: workerServes,
  });
  const stop = async () => {
    await Promise.allSettled([apiProcess.stop(), faultyApiProcess.stop(), workerProcess.stop()]);
    await Promise.allSettled([issuerServer.stop(), vault.emulator.stop(), aws.emulator.stop(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([apiProcess.start(), faultyApiProcess.start(), workerProcess.start()]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    api,
    faultyApi,
    prefix,
    redis,
    vault,
    aws,
    issuer,
    apiProcess,
    faultyApiProcess,
    workerProcess,
    workerEnv,
    token: (sub) => issuer.mint({ sub, ttlSeconds: 3600 }),
    stop,
  };
}
