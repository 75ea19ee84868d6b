import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The workspace root, so processes can be started from any directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Node's arguments to run TypeScript sources: tsx, and the "leash-source" export condition, so workspace packages
 * resolve to their sources rather than to the compiled dist/ of `pnpm build`.
 */
export const SOURCE_EXEC_ARGV = ["--conditions=leash-source", "--import", "tsx"] as const;

/** This module runs compiled (`pnpm build`, `pnpm start`): the processes it starts run compiled too, without tsx. */
const COMPILED = import.meta.url.endsWith(".js");

export const ENTRYPOINTS = COMPILED
  ? {
      api: "apps/api/dist/main.js",
      worker: "apps/worker/dist/main.js",
      gateway: "apps/gateway/dist/main.js",
      cli: "apps/cli/dist/main.js",
    }
  : {
      api: "apps/api/src/main.ts",
      worker: "apps/worker/src/main.ts",
      gateway: "apps/gateway/src/main.ts",
      cli: "apps/cli/src/main.ts",
    };

export interface SpawnedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for assertions on logs. */
  output(): string;
  exited: Promise<number | null>;
  /** Sends `sig` if the process still runs. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Echo the process's output to ours, prefixed with its name. */
  echo?: boolean;
  args?: string[];
}

/**
 * Runs one entry point as its own process: a `.ts` one from source (SOURCE_EXEC_ARGV), a `.js` one as is. It gets an IPC channel it never uses for messages:
 * the channel closes when this process dies, even by SIGKILL, and the API and the worker stop on that (see
 * `handleShutdown` in @leash/runtime), so they never outlive whatever started them.
 */
export function spawnTs(name: string, entry: string, options: SpawnOptions): SpawnedProcess {
  const loader = entry.endsWith(".ts") ? SOURCE_EXEC_ARGV : [];
  const child = spawn(process.execPath, [...loader, entry, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  // Nothing is ever sent: the channel must not keep this process alive by itself.
  child.channel?.unref();
  const chunks: string[] = [];
  const collect = (stream: NodeJS.WritableStream) => (data: Buffer) => {
    const text = data.toString();
    chunks.push(text);
    if (options.echo) stream.write(text.replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout?.on("data", collect(process.stdout));
  child.stderr?.on("data", collect(process.stderr));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  async function signal(sig: NodeJS.Signals, graceMs: number) {
    if (!running()) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
  return {
    name,
    child,
    output: () => chunks.join(""),
    exited,
    signal(sig) {
      if (running()) child.kill(sig);
    },
    stop: (graceMs = 10_000) => signal("SIGTERM", graceMs),
    kill: () => signal("SIGKILL", 0),
  };
}

/** The signals that stop a Leash process (SIGHUP: its terminal closed). */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/** How often a process run by `pnpm start`/`pnpm dev` checks that pnpm is still its parent. */
const PARENT_POLL_MS = 1_000;

/**
 * Calls `onSignal` on every SIGTERM, SIGINT or SIGHUP this process receives, and with SIGTERM when its parent
 * dies: the process that spawned it with an IPC channel (the channel closes), or the package manager running it
 * as a script (`pnpm start`: pnpm dies of a SIGHUP without passing it on; this process is then adopted and its
 * parent PID changes). Returns a function removing the handlers.
 */
export function onStopSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  const handlers = STOP_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, handler] of handlers) process.on(sig, handler);
  const parentGone = () => onSignal("SIGTERM");
  if (process.channel) {
    process.on("disconnect", parentGone);
    process.channel.unref();
  }
  // Only under a package manager: started by hand (nohup, a shell that exits) the parent may go away on purpose.
  const parent = process.ppid;
  const poll =
    process.env.npm_lifecycle_event === undefined
      ? undefined
      : setInterval(() => {
          if (process.ppid === parent) return;
          clearInterval(poll);
          parentGone();
        }, PARENT_POLL_MS).unref();
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
    process.off("disconnect", parentGone);
    clearInterval(poll);
  };
}

/** A positive LEASH_SHUTDOWN_TIMEOUT_MS, or its default (the API and the worker validate it themselves). */
export function shutdownTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.LEASH_SHUTDOWN_TIMEOUT_MS);
  return Number.isInteger(value) && value > 0 ? value : 10_000;
}

export interface ProcessGroup {
  /** Forwards `sig` to every member still running; from the first call, SIGKILL follows after `backstopMs`. */
  signal(sig: NodeJS.Signals): void;
  /** The first member to exit. */
  firstExit: Promise<{ name: string; code: number | null }>;
  /** Every member's exit code (null: killed by a signal), once all have exited. */
  exited: Promise<(number | null)[]>;
  /** SIGTERM unless a signal was already forwarded (a repeat would cut the members' graceful stop short). */
  stop(): Promise<(number | null)[]>;
}

/**
 * Processes stopped together. They stop themselves within LEASH_SHUTDOWN_TIMEOUT_MS; the SIGKILL backstop is for
 * one that cannot (wedged, or not a Leash process).
 */
export function processGroup(members: readonly SpawnedProcess[], backstopMs: number): ProcessGroup {
  let backstop: NodeJS.Timeout | undefined;
  const exited = Promise.all(members.map((p) => p.exited));
  void exited.then(() => clearTimeout(backstop));
  function signal(sig: NodeJS.Signals) {
    for (const p of members) p.signal(sig);
    backstop ??= setTimeout(() => {
      for (const p of members) p.signal("SIGKILL");
    }, backstopMs);
  }
  return {
    signal,
    firstExit: Promise.race(members.map((p) => p.exited.then((code) => ({ name: p.name, code })))),
    exited,
    stop() {
      if (!backstop) signal("SIGTERM");
      return exited;
    },
  };
}
