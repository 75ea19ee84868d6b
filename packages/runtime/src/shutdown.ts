/**
 * How a Leash process stops: on SIGTERM, SIGINT or SIGHUP (or when the `leash start`/`leash dev` that started it
 * dies) it stops gracefully, but never for longer than LEASH_SHUTDOWN_TIMEOUT_MS: an unreachable Redis must not
 * keep it alive, since a supervisor waiting on it would wait forever. A second signal ends it at once.
 */

/**
 * `clean`: everything finished; `abandoned`: work in flight was given up (another process will take it over);
 * `restart`: everything finished, and the process must start again (the shard map grew under it).
 */
export type StopOutcome = "clean" | "abandoned" | "restart";

export const SHUTDOWN_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/**
 * Exit codes: 0 after a clean stop; 1 when work was abandoned, the deadline hit or a second signal cut it short;
 * 75 (EX_TEMPFAIL) when the process stopped to be started again.
 */
export const SHUTDOWN_EXIT = { clean: 0, abandoned: 1, restart: 75 } as const;

/**
 * The same stop is often delivered twice within milliseconds: a terminal signals its whole process group and
 * `leash start` forwards the signal to its children; systemd signals every process of the unit. Only a signal
 * this long after the first counts as a second one.
 */
export const REPEAT_SIGNAL_GRACE_MS = 500;

/** What the shutdown needs of `process` (a stand-in in tests). */
export interface ShutdownHost {
  on(event: ShutdownSignal | "disconnect", listener: () => void): unknown;
  exit(code: number): void;
  /** Present when the parent spawned us with an IPC channel (`leash start`, `leash dev`): it closes when it dies. */
  readonly channel?: { unref(): void } | undefined;
}

interface ShutdownLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShutdownOptions {
  timeoutMs: number;
  logger: ShutdownLogger;
  /**
   * Stops gracefully. `deadline` aborts when LEASH_SHUTDOWN_TIMEOUT_MS is up: drop connections then (for ioredis,
   * `disconnect()`, since `quit()` waits for a Redis that may never answer); the process exits right after.
   */
  stop(deadline: AbortSignal): Promise<StopOutcome>;
  host?: ShutdownHost;
  now?: () => number;
}

export type ShutdownReason = ShutdownSignal | "parent exited" | "shard map grew";

/**
 * Installs the handlers; returns a function starting the same shutdown (e.g. when a child process exited). Exits
 * with SHUTDOWN_EXIT codes; `stop` rejecting counts as abandoned.
 */
export function handleShutdown(options: ShutdownOptions): (reason: ShutdownReason) => void {
  const host: ShutdownHost = options.host ?? process;
  const now = options.now ?? Date.now;
  const { logger, timeoutMs } = options;
  let startedAt: number | undefined;
  let exited = false;
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    host.exit(code);
  };

  function begin(reason: ShutdownReason): void {
    if (startedAt !== undefined) {
      if (reason === "parent exited" || now() - startedAt < REPEAT_SIGNAL_GRACE_MS) return;
      logger.warn({ signal: reason }, "second signal: exiting at once");
      exit(SHUTDOWN_EXIT.abandoned);
      return;
    }
    startedAt = now();
    const deadline = new AbortController();
    logger.info({ reason, timeout_ms: timeoutMs }, "shutting down");
    const timer = setTimeout(() => {
      logger.warn({ timeout_ms: timeoutMs }, "shutdown deadline reached: abandoning what is left");
      deadline.abort(new Error("shutdown deadline reached"));
      exit(SHUTDOWN_EXIT.abandoned);
    }, timeoutMs);
    options.stop(deadline.signal).then(
      (outcome) => {
        clearTimeout(timer);
        logger.info({ outcome }, "stopped");
        exit(SHUTDOWN_EXIT[outcome]);
      },
      (error: Error) => {
        clearTimeout(timer);
        logger.error({ error: error.message }, "stopping failed");
        exit(SHUTDOWN_EXIT.abandoned);
      },
    );
  }

  for (const signal of SHUTDOWN_SIGNALS) host.on(signal, () => begin(signal));
  watchParent(host, () => begin("parent exited"));
  return begin;
}

/**
 * Calls `onGone` when the parent that spawned this process with an IPC channel dies, however it died (SIGKILL
 * included): the channel's socket closes. Without a channel (started by hand, by systemd) nothing is watched.
 * The channel is unref'd so that it never keeps the process alive by itself.
 */
export function watchParent(host: ShutdownHost, onGone: () => void): void {
  if (!host.channel) return;
  host.on("disconnect", onGone);
  host.channel.unref();
}
