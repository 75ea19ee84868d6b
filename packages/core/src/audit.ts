import type { RevokeCause } from "./lease.js";

/** One audited fact. Never carries a secret value. */
export interface AuditEvent {
  type: string;
  actor: string | null;
  agent?: string;
  taskId?: string;
  leaseId?: string;
  outcome: "ok" | "denied" | "failed" | "warning";
  detail?: Readonly<Record<string, unknown>>;
  /**
   * Receipts (`lease.revoked`, `lease.expired`) and revocation orders: why the lease ends, when that was ordered and
   * when the provider confirmed it dead (ms since the epoch); with `policy_changed`, the determining policy ids.
   */
  cause?: RevokeCause;
  orderedAt?: number;
  confirmedAt?: number;
  policies?: readonly string[];
}

export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
}

/**
 * A sink that takes many events in one call, chained in the order given: callers with a high rate of events (the
 * gateway audits every request) hand them over in batches instead of holding one pending promise per event.
 */
export interface BatchAuditSink extends AuditSink {
  /** Resolves once every event is in the log; rejects if any could not be written. */
  appendMany(events: readonly AuditEvent[]): Promise<void>;
}
