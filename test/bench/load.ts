import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { REPO_ROOT, SOURCE_EXEC_ARGV } from "@leash/devstack";
import type { GeneratorMessage, LoadJob, LoadResult } from "./generator.js";
import type { FixedRequest, Workload } from "./workload.js";

interface Generator {
  child: ChildProcess;
  run(job: LoadJob): Promise<LoadResult>;
}

let started: Promise<Generator> | undefined;

/**
 * The load generator's process (generator.ts), started on first use and shared by every figure. It is unreferenced
 * while idle, so it never keeps the bench alive, and it exits when the bench exits or is killed.
 */
function generator(): Promise<Generator> {
  started ??= new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SOURCE_EXEC_ARGV, "test/bench/generator.ts"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.unref();
    const pending = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();
    const idle = () => (pending.size === 0 ? child.channel?.unref() : child.channel?.ref());
    let ids = 0;
    const self: Generator = {
      child,
      run: (job) =>
        new Promise((res, rej) => {
          const id = ids++;
          pending.set(id, { resolve: res, reject: rej });
          idle();
          child.send({ id, job });
        }),
    };
    child.on("message", (message: GeneratorMessage) => {
      if ("ready" in message) return resolve(self);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      idle();
      if ("result" in message) waiter?.resolve(message.result);
      else waiter?.reject(new Error(`load generator: ${message.error}`));
    });
    child.once("exit", (code, signal) => {
      started = undefined;
      const error = new Error(`the load generator exited (${signal ?? code})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  return started;
}

/** Stops the generator's process (it would also exit with the bench). */
export async function stopLoadGenerator(): Promise<void> {
  const running = await started?.catch(() => undefined);
  if (!running || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once("exit", resolve));
  running.child.disconnect();
  await exited;
}

/** Runs one job in the generator's process, with a fresh tag so its resources are unlike any other job's. */
async function generate(
  job: Omit<LoadJob, "tag" | "urls"> & { urls: string | readonly string[] },
): Promise<LoadResult> {
  const urls = typeof job.urls === "string" ? [job.urls] : job.urls;
  return (await generator()).run({ ...job, urls, tag: randomBytes(4).toString("hex") });
}

/** Closed loop: `connections` clients back to back for `seconds`, spread over `urls`. */
export const closedLoop = (
  urls: string | readonly string[],
  connections: number,
  seconds: number,
  workload: Workload,
) => generate({ kind: "closed", urls, connections, rate: 0, seconds, workload });

/** Closed loop of one fixed request, `connections` clients back to back against `url` for `seconds`. */
export const closedFixed = (url: string, connections: number, seconds: number, workload: FixedRequest) =>
  generate({ kind: "closed", urls: url, connections, rate: 0, seconds, workload });

/** Open loop at `rate` requests/s (they start on schedule whatever the latency), for latency at a given load. */
export const openLoop = (
  urls: string | readonly string[],
  rate: number,
  seconds: number,
  workload: Workload,
) => generate({ kind: "open", urls, connections: 0, rate, seconds, workload });
