/** An identity the security team has suspended: every request it makes is refused until it is lifted. */
export interface Suspension {
  agent: string;
  reason: string;
  /** When it lifts by itself (ms since the epoch), or null until someone lifts it. */
  until: number | null;
  by: string;
  at: number;
}

/** A suspension whose `until` has passed no longer refuses anything, even before the worker removes it. */
export function inForce(suspension: Suspension | null, now: number): suspension is Suspension {
  return suspension !== null && (suspension.until === null || suspension.until > now);
}

export interface SuspendOutcome {
  /** The suspension it replaced, if the agent was suspended already. */
  previous: Suspension | null;
  /** The leases this call ordered revoked (`agent_suspended`), pending ones included. */
  revoked: string[];
  /** The live leases that need a revoke job now (pending ones are revoked by their activation). */
  due: string[];
}

/**
 * The read behind "is any of these identities suspended now": the store's, or an API process's in-memory view of it
 * that reads the store whenever it cannot prove itself current.
 */
export type SuspensionCheck = Pick<SuspensionStore, "firstSuspended">;

export interface SuspensionStore {
  /**
   * Records (or replaces) the suspension and, in the same step, orders the revocation of the agent's live leases
   * and, with `includeDelegated`, of those of every task descending from its tasks, with cause `agent_suspended`
   * and the suspension's `by` as actor. Idempotent: leases already being revoked keep their first order.
   */
  suspend(suspension: Suspension, includeDelegated: boolean): Promise<SuspendOutcome>;
  get(agent: string): Promise<Suspension | null>;
  /**
   * The first of these agents whose suspension is in force at `now`, or null. One read, however many agents. With
   * several shards every shard holds every suspension: `near` (a task or lease id) asks the copy in its shard.
   */
  firstSuspended(agents: readonly string[], now: number, near?: string): Promise<Suspension | null>;
  /**
   * Removes the agent's suspension and returns it (null if there was none). With `lapsedBy`, only a suspension
   * whose `until` is at or before it: a renewal that lands first survives the worker's lift.
   */
  lift(agent: string, lapsedBy?: number): Promise<Suspension | null>;
  /** Agents whose suspension's `until` is at or before `now`, soonest first. */
  lapsed(now: number, limit: number): Promise<string[]>;
}
