import { Worker } from "node:worker_threads";
import type { CompiledPolicySet } from "./compile.js";
import { type LoadOptions, loadPolicyDir } from "./load.js";
import { PolicyLoadError, type PolicyProblem } from "./load-error.js";

export interface LoadRequest {
  id: number;
  dir: string;
  schemaPath: string | undefined;
}

export type LoadResponse =
  | { id: number; ok: true; set: CompiledPolicySet }
  | { id: number; ok: false; problems: readonly PolicyProblem[] }
  | { id: number; ok: false; message: string };

interface Waiter {
  dir: string;
  options: LoadOptions;
  resolve(set: CompiledPolicySet): void;
  reject(error: Error): void;
}

export type PolicyDirLoader = (dir: string, options?: LoadOptions) => Promise<CompiledPolicySet>;

/**
 * Loads policy directories on a thread of their own, so compiling a set (150 ms and more of Cedar parsing and
 * validation for 100 policies) never holds up the requests the process serves meanwhile. The thread starts at the
 * first load and stays (its Cedar and JIT warm), unreferenced: it never keeps the process alive. If the thread
 * cannot run, sets are loaded in the process instead, as before.
 */
export class OffThreadLoader {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();

  readonly load: PolicyDirLoader = (dir, options = {}) => {
    const worker = this.thread();
    if (!worker) return loadPolicyDir(dir, options);
    const id = ++this.nextId;
    return new Promise<CompiledPolicySet>((resolve, reject) => {
      this.waiting.set(id, { dir, options, resolve, reject });
      worker.postMessage({ id, dir, schemaPath: options.schemaPath } satisfies LoadRequest);
    });
  };

  /** Whether loads run on the thread (false once it failed: they run in the process). */
  get onThread(): boolean {
    return this.worker !== undefined;
  }

  /** Stops the thread; loads asked for afterwards start another. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private thread(): Worker | undefined {
    if (this.worker || this.broken) return this.worker;
    // From source (tests, `pnpm dev`) the thread needs the same loader as the process; built, it needs none.
    const fromSource = import.meta.url.endsWith(".ts");
    const worker = new Worker(
      new URL(fromSource ? "./load-thread.ts" : "./load-thread.js", import.meta.url),
      {
        ...(fromSource ? { execArgv: ["--conditions=leash-source", "--import", "tsx"] } : {}),
      },
    );
    worker.unref();
    worker.on("message", (response: LoadResponse) => {
      const waiter = this.waiting.get(response.id);
      this.waiting.delete(response.id);
      if (!waiter) return;
      if (response.ok) waiter.resolve(response.set);
      else
        waiter.reject(
          "problems" in response ? new PolicyLoadError(response.problems) : new Error(response.message),
        );
    });
    // A thread that fails (it cannot start, or dies) is not tried again: what it was loading loads in the process.
    const fail = () => {
      if (this.worker === worker) this.worker = undefined;
      this.broken = true;
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of waiting) loadPolicyDir(w.dir, w.options).then(w.resolve, w.reject);
    };
    worker.on("error", fail);
    worker.on("exit", () => {
      if (this.waiting.size > 0) fail();
      else if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }
}
