export type ProviderName = "leash-jwt" | "aws-sts" | "vault";

/** A credential the driver received (201): what the agent holds, so the suite can try it from outside. */
export interface Delivered {
  leaseId: string;
  taskId: string;
  agent: string;
  provider: ProviderName;
  target: string | null;
  requestedAt: number;
  deliveredAt: number;
  /** The lease's end as Leash stated it at issuance (epoch ms). */
  expiresAt: number;
  credential: Record<string, unknown>;
}

/** Everything the driver did that bounds when a credential must stop working, by the time it was sent. */
export class Journal {
  readonly delivered = new Map<string, Delivered>();
  /** Task id -> earliest send time of an end call (complete or cancel) Leash acknowledged. */
  readonly taskEnds = new Map<string, number>();
  /** Lease id -> earliest send time of an acknowledged return (DELETE). */
  readonly returns = new Map<string, number>();
  /** Mass revocations by agent, acknowledged (202). */
  readonly campaigns: { agent: string; sentAt: number }[] = [];
  /** Task id -> agent, for every task the driver registered. */
  readonly tasks = new Map<string, string>();
  /** Answers by phase and status (0: API unreachable), to print next to the verdict. */
  readonly statuses = new Map<string, Map<number, number>>();

  recordStatus(phase: string, status: number): void {
    const byStatus = this.statuses.get(phase) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.statuses.set(phase, byStatus);
  }

  taskEnded(taskId: string, sentAt: number): void {
    const earlier = this.taskEnds.get(taskId);
    if (earlier === undefined || sentAt < earlier) this.taskEnds.set(taskId, sentAt);
  }

  returned(leaseId: string, sentAt: number): void {
    const earlier = this.returns.get(leaseId);
    if (earlier === undefined || sentAt < earlier) this.returns.set(leaseId, sentAt);
  }

  /**
   * The earliest acknowledged order that must end this lease: its task's end, its return, or a mass revocation of
   * its agent sent after the credential was delivered (one in flight at the same time may or may not select it).
   */
  orderedEnd(leaseId: string, taskId: string, agent: string): number | undefined {
    const candidates: number[] = [];
    const taskEnd = this.taskEnds.get(taskId);
    if (taskEnd !== undefined) candidates.push(taskEnd);
    const ret = this.returns.get(leaseId);
    if (ret !== undefined) candidates.push(ret);
    const delivered = this.delivered.get(leaseId);
    if (delivered) {
      for (const c of this.campaigns) {
        if (c.agent === agent && c.sentAt > delivered.deliveredAt) candidates.push(c.sentAt);
      }
    }
    return candidates.length === 0 ? undefined : Math.min(...candidates);
  }

  /**
   * Mass revocations of the agent sent while its credential was being issued: each may or may not have selected
   * the lease (it depends on whether the write-ahead came first), so each is a possible earlier end.
   */
  possibleEnds(leaseId: string, agent: string): number[] {
    const delivered = this.delivered.get(leaseId);
    if (!delivered) return [];
    return this.campaigns
      .filter(
        (c) => c.agent === agent && c.sentAt >= delivered.requestedAt && c.sentAt <= delivered.deliveredAt,
      )
      .map((c) => c.sentAt);
  }
}
