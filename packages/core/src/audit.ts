/** One audited fact. Never carries a secret value. */
export interface AuditEvent {
  type: string;
  actor: string | null;
  agent?: string;
  taskId?: string;
  leaseId?: string;
  outcome: "ok" | "denied" | "failed" | "warning";
  detail?: Readonly<Record<string, unknown>>;
}

export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
}
