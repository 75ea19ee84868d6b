import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDevIssuer,
  type DevIssuer,
  devTrustConfig,
  ENTRYPOINTS,
  freePort,
  type SpawnedProcess,
  spawnTs,
  startDevAws,
  startDevIssuerServer,
  startDevVault,
  waitFor,
} from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import {
  connectRedis,
  type Keyspace,
  keyspace,
  openStore,
  type RedisClient,
  type RedisTarget,
  redisEnvOf,
  type Store,
} from "@leash/store";

export interface BenchStackOptions {
  redisUrl: string;
  /** A Redis Cluster or Sentinel instead of the server at `redisUrl` (see test/cluster/scale-out.ts). */
  redis?: RedisTarget;
  /** Extra environment for the API and worker processes (e.g. Redis Cluster settings). */
  env?: Record<string, string>;
  apis?: number;
  workers?: number;
  /** Start the floor baseline server too. */
  floor?: boolean;
  /** Start the gateway too (its section in `config`, its port in `env`), with this environment of its own. */
  gateway?: Record<string, string>;
  /** Extra sections of the trust file (e.g. `quotas`). */
  config?: Record<string, unknown>;
}

export interface BenchStack {
  apis: string[];
  floor: string | undefined;
  issuer: DevIssuer;
  store: Store;
  prefix: string;
  /** The bench's own connection and the keys under `prefix`, for measuring Redis itself. */
  redis: RedisClient;
  keys: Keyspace;
  /** Every shard's keys, shard 0 (`keys`) first. */
  shardKeys: Keyspace[];
  /** CPU accounting: every process of the stack by name. */
  pids(): Record<string, number>;
  /** What each process of the stack wrote so far (stdout and stderr), by name. */
  outputs(): Record<string, string>;
  post(path: string, token: string, body?: unknown): Promise<Record<string, string>>;
  get(path: string, token: string): Promise<Record<string, unknown>>;
  del(path: string, token: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** API process(es), worker(s), emulators and (optionally) the floor server against one Redis, as `pnpm start` runs. */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), "leash-bench-"));
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
      ...options.config,
    }),
  );
  const signingKeys = join(dir, "signing.json");
  await rotateSigningKeys(signingKeys);
  const prefix = `bench:{${randomUUID()}}:`;
  const env = {
    ...process.env,
    ...redisEnvOf(options.redis ?? { kind: "single", url: options.redisUrl }),
    LEASH_CONFIG: configFile,
    LEASH_SIGNING_KEY_FILE: signingKeys,
    LEASH_REDIS_PREFIX: prefix,
    LOG_LEVEL: "warn",
    // The bench drives thousands of requests per second from a handful of identities.
    LEASH_RATE_LIMIT_PER_SECOND: "1000000",
    LEASH_RATE_LIMIT_BURST: "1000000",
    ...vault.env,
    ...aws.env,
    ...options.env,
  };
  const processes: SpawnedProcess[] = [];
  const apis: string[] = [];
  for (let i = 0; i < (options.apis ?? 1); i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    apis.push(url);
    processes.push(
      spawnTs(`api${i}`, ENTRYPOINTS.api, { env: { ...env, PORT: String(port), LEASH_PUBLIC_URL: url } }),
    );
  }
  for (let i = 0; i < (options.workers ?? 1); i++)
    processes.push(spawnTs(`worker${i}`, ENTRYPOINTS.worker, { env }));
  if (options.gateway)
    processes.push(
      spawnTs("gateway", ENTRYPOINTS.gateway, {
        env: { ...env, LEASH_PUBLIC_URL: apis[0] ?? "", ...options.gateway },
      }),
    );
  let floor: string | undefined;
  if (options.floor) {
    const port = await freePort();
    floor = `http://127.0.0.1:${port}`;
    processes.push(
      spawnTs("floor", "test/bench/floor-server.ts", {
        env: {
          ...env,
          PORT: String(port),
          FLOOR_JWKS: JSON.stringify(issuer.jwks()),
          FLOOR_ISSUER: issuerServer.issuerUrl,
        },
      }),
    );
  }
  const redis = connectRedis(options.redis ?? options.redisUrl, { mode: "worker", name: "bench" });
  // As the processes open it: over every shard when LEASH_SHARDS asks for several (the first to start records the map).
  const opened = await openStore(redis, prefix, Number((env as NodeJS.ProcessEnv).LEASH_SHARDS ?? 1), {
    retentionMs: 3_600_000,
  });
  const store = opened.store;
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await issuerServer.stop();
    await vault.emulator.stop();
    await aws.emulator.stop();
    await redis.quit().catch(() => undefined);
  };
  const request = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  try {
    for (const url of [...apis, ...(floor ? [floor] : [])])
      await waitFor(
        async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.status ? true : undefined),
        {
          timeoutMs: 60_000,
          what: url,
        },
      );
    for (const url of apis)
      await waitFor(
        async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? true : undefined),
        {
          timeoutMs: 60_000,
          what: `${url}/readyz`,
        },
      );
  } catch (error) {
    for (const p of processes) process.stderr.write(p.output());
    await stop();
    throw error;
  }
  const [first] = apis;
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1] ?? 0);
  return {
    apis,
    floor,
    issuer,
    store,
    prefix,
    redis,
    keys: keyspace(prefix),
    shardKeys: opened.prefixes.map((p) => keyspace(p)),
    pids() {
      const named: Record<string, number> = {};
      for (const p of processes) if (p.child.pid) named[p.name.replace(/0$/, "")] = p.child.pid;
      if (redisPid) named.redis = redisPid;
      return named;
    },
    outputs: () => Object.fromEntries(processes.map((p) => [p.name, p.output()])),
    post: (path, token, body) => request("POST", `${first}${path}`, token, body),
    get: (path, token) => request("GET", `${first}${path}`, token),
    del: (path, token) => request("DELETE", `${first}${path}`, token),
    stop,
  };
}
