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
}

export interface BreakGlassStore {
  open(grant: BreakGlass): Promise<void>;
  /** The grant in force for a task now, if any. */
  current(taskId: string, now: number): Promise<BreakGlass | null>;
}
