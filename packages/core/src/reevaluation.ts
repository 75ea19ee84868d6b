import type { PolicyRequest } from "./policy.js";

/** What started a re-evaluation: an accepted policy reload, or a security caller's `POST /v1/reevaluations`. */
export type ReevaluationTrigger = "reload" | "request";
export type ReevaluationState = "running" | "done" | "failed";

/**
 * One pass deciding every live lease again with its recorded request and the current policy set, task and
 * context. A dry run decides without revoking (possibly with a candidate set); the others revoke what is denied.
 */
export interface Reevaluation {
  id: string;
  trigger: ReevaluationTrigger;
  dryRun: boolean;
  /** Who ordered it: the caller's subject, or `leash` for a reload. */
  requestedBy: string;
  /** The id of the policy set the leases are decided with (see `PolicySetSnapshot`). */
  policySet: string;
  createdAt: number;
  state: ReevaluationState;
  /** Leases decided so far. */
  checked: number;
  /** Leases the set denies (or would now send to approval). */
  denied: number;
  /** Denied leases whose revocation this re-evaluation ordered (none for a dry run). */
  revoked: number;
  /** Denied leases by the policy ids that deny them (a lease counts once under each of its policies). */
  byPolicy: Record<string, number>;
  completedAt: number | null;
  /** Why it failed (a candidate set that does not load: each problem as `file:line:column: message`). */
  problems: string[];
  /** A newer policy set was loaded while it ran: the run for that set decides the rest. */
  supersededBy: string | null;
}

export type NewReevaluation = Pick<
  Reevaluation,
  "id" | "trigger" | "dryRun" | "requestedBy" | "policySet" | "createdAt"
>;

/** A live lease a dry run denied, as its preview shows it. */
export interface DeniedLease {
  leaseId: string;
  agent: string;
  taskId: string;
  provider: string;
  target: string | null;
  intent: Readonly<Record<string, unknown>>;
  policies: string[];
}

/** A policy set as the store keeps it, so a worker decides with exactly the set the API loaded or was handed. */
export interface PolicySetSnapshot {
  /** A digest of the schema and every file's name and text. */
  id: string;
  schema: string;
  /** File name (`<name>.cedar`) -> Cedar text. */
  files: Record<string, string>;
}

/** What a live lease's re-decision says: keep it, or revoke it naming the policies that now refuse it. */
export interface LiveDecision {
  revoke: boolean;
  /** The denying policy ids, or the permits that now require approval; empty when kept. */
  policies: readonly string[];
}

/** Decides many recorded requests against one policy set, each distinct request once. */
export interface LivePolicyDecider {
  readonly policySet: string;
  decideLive(requests: readonly PolicyRequest[]): LiveDecision[];
}
