import { spawn as nodeSpawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDevIssuer,
  devTrustConfig,
  ENTRYPOINTS,
  freePort,
  REPO_ROOT,
  type RedisServer,
  type SpawnedProcess,
  spawnTs,
  startDevIssuerServer,
  startRedisServer,
  waitFor,
} from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import { afterEach, describe, expect, it } from "vitest";
import { descendants, ProcessJanitor, waitGone } from "../support/processes.js";

/**
 * LEASH_SHUTDOWN_TIMEOUT_MS: the API and the worker stop within it after a signal whatever is unreachable, a
 * second signal ends them at once, and nothing `leash start` or `leash dev` started outlives them. Each test runs
 * its own redis-server, so it can kill or freeze it without touching anyone else's.
 */

const SHUTDOWN_MS = 2_000;
/** REPEAT_SIGNAL_GRACE_MS of @leash/runtime's shutdown.ts, plus a margin. */
const REPEAT_SIGNAL_GRACE_MS = 500 + 200;
/** Room for a loaded machine between the deadline and the process being reaped. */
const SLACK_MS = 3_000;

const janitor = new ProcessJanitor();
const cleanups: (() => Promise<unknown>)[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  janitor.killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "leash-shutdown-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function privateRedis(): Promise<RedisServer> {
  const redis = await startRedisServer({ dir: tempDir() });
  janitor.track(redis.pid);
  cleanups.push(() => redis.kill());
  return redis;
}

type Unreachable = "killed" | "frozen";

/** Killed: connections are refused. Frozen (SIGSTOP): sockets stay open and nothing ever answers. */
async function makeUnreachable(redis: RedisServer, how: Unreachable): Promise<void> {
  if (how === "killed") return redis.kill();
  if (redis.pid === undefined) throw new Error("redis-server is not running");
  process.kill(redis.pid, "SIGSTOP");
}

function inheritedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith("REDIS_") || name.startsWith("LEASH_")) delete env[name];
  return env;
}

/** The environment `leash start` needs: a trust file, signing keys, a fresh key prefix, a free port. */
async function productionEnv(redisUrl: string, extra: Record<string, string> = {}) {
  const dir = tempDir();
  const issuerServer = await startDevIssuerServer(await createDevIssuer());
  cleanups.push(() => issuerServer.stop());
  const configFile = join(dir, "leash.json");
  writeFileSync(
    configFile,
    JSON.stringify(devTrustConfig({ issuerUrl: issuerServer.issuerUrl, jwksUri: issuerServer.jwksUri })),
  );
  const signingKeys = join(dir, "signing-keys.json");
  await rotateSigningKeys(signingKeys);
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    PORT: String(port),
    REDIS_URL: redisUrl,
    LEASH_CONFIG: configFile,
    LEASH_SIGNING_KEY_FILE: signingKeys,
    LEASH_PUBLIC_URL: api,
    LEASH_REDIS_PREFIX: `e2e:{${randomUUID()}}:`,
    LEASH_ENVIRONMENT: "test",
    LEASH_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
    ...extra,
  };
  return { env, api };
}

const isEntry = (args: string, app: "api" | "worker") => args.includes(ENTRYPOINTS[app]);

function spawn(name: string, entry: string, env: NodeJS.ProcessEnv, args: string[] = []): SpawnedProcess {
  const p = spawnTs(name, entry, { env, args });
  janitor.track(p.child.pid);
  return p;
}

/** Waits for /readyz (the API up and a worker heartbeat), failing early if a process died. */
async function ready(api: string, processes: SpawnedProcess[]): Promise<void> {
  await waitFor(
    async () => {
      for (const p of processes)
        if (p.child.exitCode !== null)
          throw new Error(`the ${p.name} exited early: ${p.output().slice(-1500)}`);
      const res = await fetch(`${api}/readyz`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 100, what: "the API to be ready" },
  );
}

/** How long after `since` the process exited, and with what code; fails if it outlives `timeoutMs`. */
async function exit(p: SpawnedProcess, since: number, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), timeoutMs);
  });
  const outcome = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (outcome === "late")
    throw new Error(`the ${p.name} still runs ${timeoutMs} ms after the signal: ${p.output().slice(-1500)}`);
  return { code: outcome, signal: p.child.signalCode, ms: Date.now() - since };
}

/**
 * A request the API is still reading when the signal comes: headers and half a JSON body, the rest never sent.
 * A request on a second connection answering proves the server has taken the first one in.
 */
async function stalledRequest(api: string): Promise<void> {
  const { port } = new URL(api);
  const socket = connect({ host: "127.0.0.1", port: Number(port) });
  sockets.push(socket);
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    "POST /v1/tasks HTTP/1.1\r\nHost: leash\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
  );
  await fetch(`${api}/healthz`);
}

describe("the API and the worker stop within LEASH_SHUTDOWN_TIMEOUT_MS whatever is unreachable", () => {
  it.each<Unreachable>(["killed", "frozen"])(
    "Redis %s: SIGTERM ends both in time, exit 1 as each had to give up (a request in flight, Redis)",
    async (how) => {
      const redis = await privateRedis();
      const { env, api } = await productionEnv(redis.url);
      const apiProcess = spawn("api", ENTRYPOINTS.api, env);
      const worker = spawn("worker", ENTRYPOINTS.worker, env);
      await ready(api, [apiProcess, worker]);
      await stalledRequest(api);
      await makeUnreachable(redis, how);

      const since = Date.now();
      apiProcess.child.kill("SIGTERM");
      worker.child.kill("SIGTERM");
      const [a, w] = await Promise.all([
        exit(apiProcess, since, SHUTDOWN_MS + SLACK_MS),
        exit(worker, since, SHUTDOWN_MS + SLACK_MS),
      ]);
      expect(a.code).toBe(1);
      expect(w.code).toBe(1);
    },
    90_000,
  );

  it("a second signal ends them at once, exit 1, long before the deadline", async () => {
    const redis = await privateRedis();
    const { env, api } = await productionEnv(redis.url, { LEASH_SHUTDOWN_TIMEOUT_MS: "60000" });
    const apiProcess = spawn("api", ENTRYPOINTS.api, env);
    const worker = spawn("worker", ENTRYPOINTS.worker, env);
    await ready(api, [apiProcess, worker]);
    await stalledRequest(api);
    await makeUnreachable(redis, "frozen");

    const firstSignal = Date.now();
    apiProcess.child.kill("SIGTERM");
    worker.child.kill("SIGTERM");
    // Both are now waiting (on the request, on Redis): the second signal must not. A repeat within the grace is
    // the same stop delivered twice (terminal and parent), so the second one comes after it.
    await waitFor(
      () =>
        apiProcess.output().includes("shutting down") &&
        worker.output().includes("shutting down") &&
        Date.now() - firstSignal > REPEAT_SIGNAL_GRACE_MS
          ? true
          : undefined,
      { timeoutMs: 10_000, what: "both processes to start shutting down" },
    );
    expect(apiProcess.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    const since = Date.now();
    apiProcess.child.kill("SIGINT");
    worker.child.kill("SIGTERM");
    const [a, w] = await Promise.all([exit(apiProcess, since, SLACK_MS), exit(worker, since, SLACK_MS)]);
    expect(a.code).toBe(1);
    expect(w.code).toBe(1);
  }, 90_000);
});

describe("leash start: signals reach the API and the worker, and nothing outlives it", () => {
  async function leashStart(redisUrl: string) {
    const { env, api } = await productionEnv(redisUrl);
    const leash = spawn("leash", ENTRYPOINTS.cli, env, ["start"]);
    await ready(api, [leash]);
    // Every descendant, tsx's esbuild services included, must be gone afterwards.
    const children = descendants(leash.child.pid ?? -1);
    janitor.track(...children.map((p) => p.pid));
    expect(children.filter((p) => isEntry(p.args, "api"))).toHaveLength(1);
    expect(children.filter((p) => isEntry(p.args, "worker"))).toHaveLength(1);
    return { leash, children: children.map((p) => p.pid) };
  }

  it("SIGTERM with Redis gone: exits within the deadline, non-zero, and both children are gone", async () => {
    const redis = await privateRedis();
    const { leash, children } = await leashStart(redis.url);
    await makeUnreachable(redis, "killed");
    const since = Date.now();
    leash.child.kill("SIGTERM");
    const result = await exit(leash, since, SHUTDOWN_MS + SLACK_MS);
    expect(result.code).toBe(1);
    await waitGone(children, 1_000, "the API and the worker");
  }, 90_000);

  it("SIGHUP (its terminal closed): both children stop cleanly and leash start exits 0", async () => {
    const redis = await privateRedis();
    const { leash, children } = await leashStart(redis.url);
    const since = Date.now();
    leash.child.kill("SIGHUP");
    const result = await exit(leash, since, SHUTDOWN_MS + SLACK_MS);
    expect(result).toMatchObject({ code: 0, signal: null });
    await waitGone(children, 1_000, "the API and the worker");
  }, 90_000);

  it("SIGKILL: the API and the worker notice their parent is gone and stop", async () => {
    const redis = await privateRedis();
    const { leash, children } = await leashStart(redis.url);
    leash.child.kill("SIGKILL");
    await waitGone(children, SHUTDOWN_MS + SLACK_MS, "the API and the worker");
  }, 90_000);
});

describe("pnpm start: a signal to pnpm alone stops everything under it", () => {
  // pnpm passes SIGTERM on to its script but dies of a SIGHUP without passing it on: leash start must notice.
  it.each<NodeJS.Signals>(["SIGTERM", "SIGHUP"])(
    "%s to pnpm: leash start, the API and the worker are gone",
    async (signal) => {
      const redis = await privateRedis();
      const { env, api } = await productionEnv(redis.url);
      // start:source is `pnpm start` on the sources: the same script shape (exec node), with no build to wait for.
      const pnpm = nodeSpawn("pnpm", ["start:source"], {
        cwd: REPO_ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      janitor.track(pnpm.pid);
      let output = "";
      pnpm.stdout?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      pnpm.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      await waitFor(
        async () => {
          if (pnpm.exitCode !== null) throw new Error(`pnpm start exited: ${output.slice(-1500)}`);
          const res = await fetch(`${api}/readyz`).catch(() => undefined);
          return res?.ok ? true : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 100, what: "the API to be ready" },
      );
      const below = descendants(pnpm.pid ?? -1);
      janitor.track(...below.map((p) => p.pid));
      expect(below.filter((p) => isEntry(p.args, "api") || isEntry(p.args, "worker"))).toHaveLength(2);
      pnpm.kill(signal);
      await waitGone(
        below.map((p) => p.pid),
        SHUTDOWN_MS + SLACK_MS,
        "leash start, the API and the worker",
      );
    },
    90_000,
  );
});

describe("leash dev: its redis-server and every process it started die with it", () => {
  async function leashDev() {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...inheritedEnv(),
      PORT: String(port),
      LEASH_DEV_DIR: tempDir(),
      LEASH_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
    };
    const leash = spawn("leash", ENTRYPOINTS.cli, env, ["dev"]);
    await ready(`http://127.0.0.1:${port}`, [leash]);
    const children = descendants(leash.child.pid ?? -1);
    janitor.track(...children.map((p) => p.pid));
    expect(children.filter((p) => p.args.includes("redis-server"))).toHaveLength(1);
    expect(children.filter((p) => isEntry(p.args, "api"))).toHaveLength(1);
    expect(children.filter((p) => isEntry(p.args, "worker"))).toHaveLength(1);
    return { leash, children: children.map((p) => p.pid) };
  }

  it("SIGHUP (its terminal closed): leash dev exits and its redis-server, API and worker are gone", async () => {
    const { leash, children } = await leashDev();
    const since = Date.now();
    leash.child.kill("SIGHUP");
    const result = await exit(leash, since, SHUTDOWN_MS + SLACK_MS);
    expect(result).toMatchObject({ code: 0, signal: null });
    await waitGone(children, 1_000, "redis-server, the API and the worker");
  }, 90_000);

  it("SIGKILL: the redis-server, the API and the worker stop on their own", async () => {
    const { leash, children } = await leashDev();
    leash.child.kill("SIGKILL");
    await waitGone(children, SHUTDOWN_MS + SLACK_MS, "redis-server, the API and the worker");
  }, 90_000);
});

describe("a redis-server started for tests dies with the process that started it", () => {
  it("SIGKILL of its starter (a test runner that never reaches its teardown): the redis-server stops", async () => {
    const holder = spawn("redis-holder", join(REPO_ROOT, "test/support/redis-holder.ts"), inheritedEnv());
    const pid = await waitFor(() => Number(holder.output().match(/redis-pid (\d+)/)?.[1]) || undefined, {
      timeoutMs: 30_000,
      what: "the holder to start its redis-server",
    });
    janitor.track(pid);
    holder.child.kill("SIGKILL");
    await waitGone([pid], SLACK_MS, "the holder's redis-server");
  }, 60_000);
});
