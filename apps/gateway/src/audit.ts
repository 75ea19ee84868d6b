import type { AuditEvent, BatchAuditSink } from "@leash/core";
import type { GatewayMetrics } from "@leash/runtime";

export interface AuditBatcherOptions {
  /** A batch goes out at least this often while events wait (they show in `GET /v1/audit` within it plus a flush). */
  intervalMs?: number;
  /** A batch goes out as soon as this many wait. */
  maxBatch?: number;
  /** Past this many waiting events `offer` says no, and the gateway refuses requests rather than relay unaudited. */
  maxBacklog?: number;
  metrics?: Pick<GatewayMetrics, "auditBacklog" | "auditFlush">;
  onError?: (error: unknown, events: number) => void;
}

/**
 * The gateway's `gateway.request` events, appended to the hash-chained log in batches off the request path: a
 * request hands its event over and moves on; one `appendMany` per batch goes to Redis. A failed batch is kept
 * and tried again with the next one, in order.
 */
export class AuditBatcher {
  private backlog: AuditEvent[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBacklog: number;

  constructor(
    private readonly sink: BatchAuditSink,
    private readonly options: AuditBatcherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBacklog = options.maxBacklog ?? 50_000;
  }

  /** Takes the event unless the backlog is full (Redis unreachable for long): false then. */
  offer(event: AuditEvent): boolean {
    if (this.backlog.length >= this.maxBacklog) return false;
    this.backlog.push(event);
    this.options.metrics?.auditBacklog.set(this.backlog.length);
    if (this.backlog.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
    return true;
  }

  /** Whether `offer` would take an event now. */
  accepting(): boolean {
    return this.backlog.length < this.maxBacklog;
  }

  /** Appends what waits now; resolves when done (a failure leaves the events waiting). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.backlog.length > 0) this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.backlog.length > 0) {
      const batch = this.backlog.slice(0, this.maxBatch);
      const started = performance.now();
      try {
        await this.sink.appendMany(batch);
      } catch (error) {
        this.options.onError?.(error, batch.length);
        return;
      }
      this.backlog.splice(0, batch.length);
      this.options.metrics?.auditFlush.observe((performance.now() - started) / 1000);
      this.options.metrics?.auditBacklog.set(this.backlog.length);
    }
  }

  /** Flushes until nothing waits or `deadline` aborts; returns how many events were left unwritten. */
  async close(deadline?: AbortSignal): Promise<number> {
    while (this.backlog.length > 0 && !deadline?.aborted) {
      const before = this.backlog.length;
      await this.flush();
      if (this.backlog.length >= before && !deadline?.aborted) {
        // Redis refused the batch: try again shortly, unless the deadline comes first.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.intervalMs);
          deadline?.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.backlog.length;
  }
}
