import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RuntimeEnv } from "./env.js";
import { handleShutdown, REPEAT_SIGNAL_GRACE_MS, type ShutdownHost, type StopOutcome } from "./shutdown.js";

class FakeProcess extends EventEmitter implements ShutdownHost {
  exits: number[] = [];
  channel?: { unref(): void; unrefs: number };
  exit(code: number): void {
    this.exits.push(code);
  }
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** A stop that resolves when the test says so, and records whether the deadline aborted it. */
function controllableStop() {
  let finish: (outcome: StopOutcome) => void = () => {};
  const seen: { deadline?: AbortSignal } = {};
  const stop = vi.fn(
    (deadline: AbortSignal) =>
      new Promise<StopOutcome>((resolve) => {
        seen.deadline = deadline;
        finish = resolve;
      }),
  );
  return { stop, seen, finish: (outcome: StopOutcome) => finish(outcome) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("stopping within LEASH_SHUTDOWN_TIMEOUT_MS", () => {
  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)(
    "%s starts a graceful stop; a clean one exits 0",
    async (sig) => {
      const host = new FakeProcess();
      const { stop, finish } = controllableStop();
      handleShutdown({ timeoutMs: 1_000, logger: silent, stop, host });
      host.emit(sig);
      expect(stop).toHaveBeenCalledOnce();
      expect(host.exits).toEqual([]);
      finish("clean");
      await vi.advanceTimersByTimeAsync(0);
      expect(host.exits).toEqual([0]);
    },
  );

  it("exits 1 when work in flight was abandoned, or when stopping failed", async () => {
    const abandoned = new FakeProcess();
    handleShutdown({ timeoutMs: 1_000, logger: silent, stop: async () => "abandoned", host: abandoned });
    abandoned.emit("SIGTERM");
    const failed = new FakeProcess();
    handleShutdown({
      timeoutMs: 1_000,
      logger: silent,
      stop: () => Promise.reject(new Error("redis gone")),
      host: failed,
    });
    failed.emit("SIGTERM");
    await vi.advanceTimersByTimeAsync(0);
    expect(abandoned.exits).toEqual([1]);
    expect(failed.exits).toEqual([1]);
  });

  it("at the deadline aborts the stop (to drop connections) and exits 1, whatever the stop still waits on", async () => {
    const host = new FakeProcess();
    const { stop, seen, finish } = controllableStop();
    handleShutdown({ timeoutMs: 1_000, logger: silent, stop, host });
    host.emit("SIGTERM");
    await vi.advanceTimersByTimeAsync(999);
    expect(host.exits).toEqual([]);
    expect(seen.deadline?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.deadline?.aborted).toBe(true);
    expect(host.exits).toEqual([1]);
    finish("clean");
    await vi.advanceTimersByTimeAsync(0);
    expect(host.exits).toEqual([1]);
  });

  it("a second signal exits 1 at once; the same stop delivered twice in a burst counts once", async () => {
    const host = new FakeProcess();
    const { stop } = controllableStop();
    handleShutdown({ timeoutMs: 60_000, logger: silent, stop, host });
    host.emit("SIGINT");
    host.emit("SIGINT");
    await vi.advanceTimersByTimeAsync(REPEAT_SIGNAL_GRACE_MS - 1);
    host.emit("SIGTERM");
    expect(host.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    host.emit("SIGTERM");
    expect(host.exits).toEqual([1]);
    expect(stop).toHaveBeenCalledOnce();
  });

  it("stops when the parent that spawned it with an IPC channel dies, without the channel holding it alive", async () => {
    const host = new FakeProcess();
    host.channel = {
      unrefs: 0,
      unref() {
        this.unrefs++;
      },
    };
    const { stop, finish } = controllableStop();
    handleShutdown({ timeoutMs: 1_000, logger: silent, stop, host });
    expect(host.channel.unrefs).toBe(1);
    host.emit("disconnect");
    expect(stop).toHaveBeenCalledOnce();
    finish("clean");
    await vi.advanceTimersByTimeAsync(0);
    expect(host.exits).toEqual([0]);
  });

  it("without an IPC channel, nothing watches the parent", () => {
    const host = new FakeProcess();
    handleShutdown({ timeoutMs: 1_000, logger: silent, stop: async () => "clean", host });
    expect(host.listenerCount("disconnect")).toBe(0);
  });
});

describe("LEASH_SHUTDOWN_TIMEOUT_MS", () => {
  const base = { LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k", REDIS_URL: "redis://h:1" };

  it("defaults to 10 s and takes a positive number of milliseconds", () => {
    expect(RuntimeEnv.parse(base).LEASH_SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(RuntimeEnv.parse({ ...base, LEASH_SHUTDOWN_TIMEOUT_MS: "2500" }).LEASH_SHUTDOWN_TIMEOUT_MS).toBe(
      2_500,
    );
  });

  it.each(["0", "-1", "1.5", "soon"])("refuses %s, naming the variable", (value) => {
    const parsed = RuntimeEnv.safeParse({ ...base, LEASH_SHUTDOWN_TIMEOUT_MS: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toEqual(["LEASH_SHUTDOWN_TIMEOUT_MS"]);
  });
});
