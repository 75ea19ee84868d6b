import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

export interface RedisServerOptions {
  port?: number;
  /** AOF with fsync every second, as production should run; off by default for speed in tests. */
  appendOnly?: boolean;
  dir?: string;
  /** A configuration file to start from (Sentinel needs one it can rewrite); the options below override it. */
  configFile?: string;
  /** More command-line options, e.g. `--cluster-enabled yes`, `--replicaof host port` or `--sentinel`. */
  extraArgs?: readonly string[];
  /**
   * For `leash dev`: the server runs in its own process group, so a terminal's Ctrl-C or hang-up reaches only
   * this process, which stops the server after the processes using it. Every server, tied or not, dies with this
   * process even when that is SIGKILLed (Linux: a parent-death signal set with util-linux's setpriv).
   */
  dieWithParent?: boolean;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The redis-server's process id while it runs (to freeze it with SIGSTOP, or to check it is gone). */
  readonly pid: number | undefined;
  /** SIGKILL, as a crash would; `start()` brings it back on the same port and data directory. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

let parentDeathSignal: boolean | undefined;
/** Whether `setpriv --pdeathsig` can make a child die with this process (Linux, util-linux 2.33 or later). */
function parentDeathSignalAvailable(): boolean {
  parentDeathSignal ??=
    process.platform === "linux" &&
    (spawnSync("setpriv", ["--help"], { encoding: "utf8" }).stdout ?? "").includes("--pdeathsig");
  return parentDeathSignal;
}

const MISSING =
  "redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`, macOS: `brew install redis`) or set REDIS_URL to an existing Redis.";

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => socket.write("PING\r\n"));
    socket.setTimeout(500);
    socket.on("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Starts a private redis-server on a free loopback port (never the machine's own 6379). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!redisServerAvailable()) throw new Error(MISSING);
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "leash-redis-"));
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess | undefined;

  const args = [
    ...(options.configFile ? [options.configFile] : []),
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.appendOnly ? "yes" : "no",
    "--appendfsync",
    "everysec",
    "--maxmemory-policy",
    "noeviction",
    "--protected-mode",
    "no",
    ...(options.extraArgs ?? []),
  ];

  async function start(): Promise<void> {
    const tied = options.dieWithParent === true;
    // setpriv sets the signal and execs redis-server: the PID stays the server's own. Every server gets it, not only
    // the dev stack's: a test runner that dies before its teardown (a crash, a SIGKILL) must not leave one behind.
    const [command, argv] = parentDeathSignalAvailable()
      ? ["setpriv", ["--pdeathsig", "TERM", "redis-server", ...args]]
      : ["redis-server", args];
    const proc = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"], detached: tied });
    child = proc;
    let output = "";
    proc.stdout?.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-2000);
    });
    proc.stderr?.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-2000);
    });
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`redis-server exited: ${output.trim().split("\n").slice(-3).join(" | ")}`);
        return (await ping(port)) ? true : undefined;
      },
      {
        timeoutMs: 10_000,
        what: `redis-server on port ${port}`,
      },
    );
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    kill: () => halt("SIGKILL"),
    start,
    async stop() {
      await halt("SIGTERM");
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
