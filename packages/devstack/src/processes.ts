import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The workspace root, so processes can be started from any directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const ENTRYPOINTS = {
  api: "apps/api/src/main.ts",
  worker: "apps/worker/src/main.ts",
  cli: "apps/cli/src/main.ts",
} as const;

export interface SpawnedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for assertions on logs. */
  output(): string;
  exited: Promise<number | null>;
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

/** Runs one TypeScript entry point under tsx as its own process. */
export function spawnTs(name: string, entry: string, options: SpawnOptions): SpawnedProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  const collect = (stream: NodeJS.WritableStream) => (data: Buffer) => {
    const text = data.toString();
    chunks.push(text);
    if (options.echo) stream.write(text.replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout?.on("data", collect(process.stdout));
  child.stderr?.on("data", collect(process.stderr));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  async function signal(sig: NodeJS.Signals, graceMs: number) {
    if (child.exitCode !== null || child.signalCode !== null) return;
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
    stop: (graceMs = 10_000) => signal("SIGTERM", graceMs),
    kill: () => signal("SIGKILL", 0),
  };
}
