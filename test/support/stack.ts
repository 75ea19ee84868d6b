import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDevIssuer,
  type DevIssuer,
  type DevIssuerServer,
  devTrustConfig,
  ENTRYPOINTS,
  freePort,
  REPO_ROOT,
  type SpawnedProcess,
  spawnTs,
  startDevIssuerServer,
  waitFor,
} from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import { type RedisTarget, redisEnvOf } from "@leash/store";
import { inject } from "vitest";
import "./provided-context.js";

export interface Stack {
  api: string;
  issuer: DevIssuer;
  issuerServer: DevIssuerServer;
  prefix: string;
  /** The Redis URL for one server; for a Redis Cluster, one of its nodes; empty under Sentinel. */
  redisUrl: string;
  /** Where the processes' Redis is (one server, a Redis Cluster or Sentinel): pass it to `connectRedis`. */
  redis: RedisTarget;
  /** The task-token signing keys the processes use (private JWKs). */
  signingKeyFile: string;
  token(sub: string, ttlSeconds?: number): Promise<string>;
  call(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** Everything the started processes printed. */
  output(): string;
  /** With `separate`: the worker process, and a way to start a fresh one with the same environment. */
  worker?: SpawnedProcess;
  startWorker(): SpawnedProcess;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** One Redis server by URL, or `redis` for any topology (e.g. `inject("redisTarget")`). */
  redisUrl?: string;
  redis?: RedisTarget;
  env?: Record<string, string>;
  /** Start the API and the worker as two processes of their own (to kill one), instead of `pnpm start`. */
  separate?: boolean;
  /** `pnpm start`, the compiled build (run `pnpm build` first), instead of the sources (`pnpm start:source`). */
  compiled?: boolean;
  /** Extra top-level sections of LEASH_CONFIG, e.g. `providers`. */
  config?: Record<string, unknown>;
  /** Issuers trusted next to the stack's own dev issuer (entries of the trust file's `issuers`). */
  extraIssuers?: Record<string, unknown>[];
}

export const ORCHESTRATOR = "spiffe://dev.local/orchestrator";
export const SECURITY = "spiffe://dev.local/security/alice";
export const agentId = (name: string) => `spiffe://dev.local/agent/${name}`;

/** Starts `pnpm start` (API + worker) as real processes against a fresh key prefix, with its own identity issuer. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "leash-e2e-"));
  const issuer = await createDevIssuer();
  const issuerServer = await startDevIssuerServer(issuer);
  const configFile = join(dir, "leash.json");
  const trust = devTrustConfig({ issuerUrl: issuerServer.issuerUrl, jwksUri: issuerServer.jwksUri });
  writeFileSync(
    configFile,
    JSON.stringify({
      ...trust,
      issuers: [...trust.issuers, ...(options.extraIssuers ?? [])],
      ...options.config,
    }),
  );
  const signingKeys = join(dir, "signing-keys.json");
  await rotateSigningKeys(signingKeys);
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const prefix = `e2e:{${randomUUID()}}:`;
  const redis: RedisTarget = options.redis ?? projectRedis(options.redisUrl ?? "");
  const inherited = { ...process.env };
  // Only the Redis this stack was given: a REDIS_* of the caller's environment would contradict it.
  for (const name of Object.keys(inherited)) if (name.startsWith("REDIS_")) delete inherited[name];
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PORT: String(port),
    ...redisEnvOf(redis),
    LEASH_CONFIG: configFile,
    LEASH_SIGNING_KEY_FILE: signingKeys,
    LEASH_PUBLIC_URL: api,
    LEASH_REDIS_PREFIX: prefix,
    LEASH_ENVIRONMENT: "test",
    LOG_LEVEL: "info",
    ...options.env,
  };
  const chunks: string[] = [];
  const output = () => chunks.join("") + workers.map((w) => w.output()).join("");
  const workers: SpawnedProcess[] = [];
  const startWorker = () => {
    const w = spawnTs("worker", ENTRYPOINTS.worker, { env });
    workers.push(w);
    return w;
  };
  let child: ChildProcess;
  if (options.separate) {
    const apiProcess = spawnTs("api", ENTRYPOINTS.api, { env });
    child = apiProcess.child;
    workers.push(apiProcess);
    startWorker();
  } else {
    child = spawn("pnpm", options.compiled ? ["start"] : ["start:source"], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => chunks.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => chunks.push(d.toString()));
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  const stop = async () => {
    if (options.separate) await Promise.all(workers.map((w) => w.stop()));
    else if (child.exitCode === null && child.pid) {
      process.kill(-child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await issuerServer.stop();
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`pnpm start exited: ${output().slice(-2000)}`);
        const res = await fetch(`${api}/readyz`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 100, what: "the API to be ready" },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    api,
    issuer,
    issuerServer,
    prefix,
    redisUrl: redisUrlOf(redis),
    redis,
    signingKeyFile: signingKeys,
    token: (sub, ttlSeconds) => issuer.mint({ sub, ttlSeconds }),
    async call(method, path, token, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      const h = init.headers as Record<string, string>;
      if (token) h.authorization = `Bearer ${token}`;
      if (body !== undefined) {
        h["content-type"] ??= "application/json";
        init.body = typeof body === "string" ? body : JSON.stringify(body);
      }
      return fetch(`${api}${path}`, init);
    },
    output,
    get worker() {
      return options.separate ? workers.at(-1) : undefined;
    },
    startWorker,
    stop,
  };
}

/**
 * The vitest project's Redis when `url` is the project's `redisUrl`: in the `cluster` project that URL is one node
 * of a Redis Cluster, and the stack must use the whole cluster. Any other URL means that one server.
 */
function projectRedis(url: string): RedisTarget {
  try {
    const target = inject("redisTarget");
    if (target.kind !== "single" && url === inject("redisUrl")) return target;
  } catch {
    // Not inside a vitest run: nothing was provided.
  }
  return { kind: "single", url };
}

function redisUrlOf(redis: RedisTarget): string {
  if (redis.kind === "single") return redis.url;
  if (redis.kind === "cluster" && redis.nodes[0])
    return `redis://${redis.nodes[0].host}:${redis.nodes[0].port}`;
  return "";
}

/** Polls an introspection until `active` is false; returns how long that took. */
export async function msUntilInactive(
  stack: Stack,
  token: string,
  caller: string,
  timeoutMs = 5_000,
): Promise<number> {
  const start = Date.now();
  await waitFor(
    async () => {
      const res = await stack.call("POST", "/v1/introspect", caller, `token=${token}`, {
        "content-type": "application/x-www-form-urlencoded",
      });
      const body = (await res.json()) as { active: boolean };
      return body.active ? undefined : true;
    },
    { timeoutMs, intervalMs: 10, what: "the token to become inactive" },
  );
  return Date.now() - start;
}
