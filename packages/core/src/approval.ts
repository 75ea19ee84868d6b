import type { CeilingIntent, Intent } from "./intent.js";
import type { ProviderName } from "./lease.js";

export type ApprovalState = "pending" | "approved" | "denied" | "expired" | "redeemed";

/** A step-up request: a permitted lease that a policy says a person must approve first. */
export interface Approval {
  id: string;
  agent: string;
  taskId: string;
  provider: ProviderName;
  target: string | null;
  intent: Intent;
  ttlSeconds: number | undefined;
  /** Hash of the issue request, so the agent's retry with the same body finds this approval. */
  requestHash: string;
  state: ApprovalState;
  reasons: string[];
  createdAt: number;
  expiresAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  leaseId: string | null;
}

export interface ApprovalStore {
  create(approval: Approval): Promise<void>;
  get(id: string): Promise<Approval | null>;
  /** The newest approval of this agent for this exact request, if any. */
  findByRequest(agent: string, requestHash: string): Promise<Approval | null>;
  list(state: ApprovalState | undefined, limit: number): Promise<Approval[]>;
  /** Moves a `pending` approval to approved/denied; false when it was not pending. */
  decide(id: string, state: "approved" | "denied", by: string, at: number): Promise<boolean>;
  /** approved -> redeemed, once; false when it was not approved. */
  redeem(id: string, leaseId: string): Promise<boolean>;
  /** redeemed -> approved, when the lease it was redeemed for was never issued; false otherwise. */
  release(id: string, leaseId: string): Promise<boolean>;
}

/** A temporary widening of one task's ceiling by the security team. */
export interface BreakGlass {
  id: string;
  taskId: string;
  ceiling: CeilingIntent[];
  justification: string;
  openedBy: string;
  openedAt: number;
  expiresAt: number;
  /** Set when the security team closed it before `expiresAt`; from then on it widens nothing. */
  closedAt?: number;
  closedBy?: string;
}

export interface BreakGlassStore {
  open(grant: BreakGlass): Promise<void>;
  /** The grant in force for a task now, if any (not expired, not closed, not replaced by a newer one). */
  current(taskId: string, now: number): Promise<BreakGlass | null>;
  /** A grant by id, in force or not, while it is remembered. */
  get(id: string): Promise<BreakGlass | null>;
  /**
   * Marks a grant closed, once (a closed grant keeps its first closing); `closedNow` tells whether this call did.
   * Null when the grant is unknown.
   */
  close(id: string, by: string, at: number): Promise<{ grant: BreakGlass; closedNow: boolean } | null>;
}
