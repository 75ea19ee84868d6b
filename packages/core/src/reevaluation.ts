import type { Lease } from "./lease.js";
import type { PolicyRequest } from "./policy.js";
import type { Task } from "./task.js";

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

/** Decides recorded requests against one policy set. */
export interface LivePolicyDecider {
  readonly policySet: string;
  /** A run's decisions: a request equal to an earlier one of the same session is not decided again. */
  session(): LiveDecisionSession;
}

export interface LiveDecisionSession {
  decide(requests: readonly PolicyRequest[]): LiveDecision[];
  /** Decisions actually made so far (one per distinct request). */
  readonly decided: number;
}

/**
 * The leases pending when it starts, then those live (the deadline index, by deadline: a live lease's entry moves
 * only when it ends, so each is reached once), then (`tail`) every lease issued from shortly before the start, by
 * id, for those issued under an earlier set while it ran and not reached yet.
 */
export type ReevaluationPhase = "pending" | "live" | "tail";

/** Where a run stands: resumed from here after a crash, so no chunk is counted twice. */
export interface ReevaluationProgress {
  phase: ReevaluationPhase;
  /** Where the phase goes on from, as the store reads it ("" from the start). */
  cursor: string;
}

/** What a re-evaluation reads of a lease: the request recorded at issuance and where the lease stands. */
export type RecordedLease = Pick<
  Lease,
  | "id"
  | "taskId"
  | "agent"
  | "provider"
  | "target"
  | "intent"
  | "state"
  | "issuedAt"
  | "expiresAt"
  | "breakGlass"
  | "requestedTtlSeconds"
  | "policySet"
>;

/** What a re-evaluation reads of a task: what the policies see of it now, and its place in its tree. */
export type RecordedTask = Pick<
  Task,
  "id" | "agent" | "state" | "deadline" | "depth" | "labels" | "parentId"
>;

export interface Denial {
  lease: RecordedLease;
  policies: readonly string[];
  /** The credential dies in the store (task tokens): its end is settled at once, receipt included. */
  settle: boolean;
}

/** Re-evaluations: records and progress, so a restarted worker resumes at its cursor. */
export interface ReevaluationStore {
  create(run: NewReevaluation): Promise<void>;
  get(id: string): Promise<Reevaluation | null>;
  /** The newest runs first (dry runs are not listed). */
  list(limit: number): Promise<Reevaluation[]>;
  /** Where the run stands; the first call records its start (`frozenAt`): the leases it must decide. */
  begin(id: string, at: number): Promise<ReevaluationProgress & { frozenAt: number }>;
  /** The next lease ids of the phase (none when it is done), and where the phase goes on after them. */
  next(
    from: ReevaluationProgress,
    count: number,
    frozenAt: number,
  ): Promise<{ ids: string[]; to: ReevaluationProgress }>;
  /** The leases of these ids that exist. */
  leases(ids: readonly string[]): Promise<RecordedLease[]>;
  /** The tasks of these ids that exist. */
  tasks(ids: readonly string[]): Promise<RecordedTask[]>;
  /** Of these ids, those an earlier chunk of the run decided (see `advance`). */
  seen(id: string, leaseIds: readonly string[]): Promise<Set<string>>;
  /** Of these ids, those the run has denied already (a chunk done again after a crash counts them once). */
  denied(id: string, leaseIds: readonly string[]): Promise<Set<string>>;
  /**
   * Records each denial once per run, counting it under its policies, and (unless a dry run) orders the lease's
   * revocation with cause `policy_changed`, its policies, `actor` and `at`, in the same step; returns the ids that
   * need a revoke job. Repeating it for a lease changes nothing.
   */
  deny(
    id: string,
    denials: readonly Denial[],
    order: { actor: string; at: number; dryRun: boolean },
  ): Promise<string[]>;
  /**
   * Moves the cursor, adds `checked` and remembers `seen` (decided leases a later phase may reach again), only if
   * the cursor is still `from` (false: nothing changed).
   */
  advance(
    id: string,
    from: ReevaluationProgress,
    to: ReevaluationProgress,
    checked: number,
    seen: readonly string[],
  ): Promise<boolean>;
  /**
   * Ends a running run and audits `reevaluation.completed` with its counts, once; true when this call ended it.
   * Its working sets are dropped; the record is kept `keepMs`.
   */
  complete(
    id: string,
    at: number,
    outcome: { state: "done" | "failed"; problems?: readonly string[]; supersededBy?: string },
    keepMs: number,
  ): Promise<boolean>;
  /** Up to `count` of the leases a dry run denied. */
  sample(id: string, count: number): Promise<DeniedLease[]>;
  /** Live leases per agent now. */
  liveCounts(): Promise<ReadonlyMap<string, number>>;
}

/** The policy sets the API processes loaded (and dry runs' candidates), by id. */
export interface PolicySetStore {
  /** Keeps a set; with `current`, it becomes the loaded one. Returns whether the loaded one changed. */
  put(snapshot: PolicySetSnapshot, options: { current: boolean; keepMs: number }): Promise<boolean>;
  get(id: string): Promise<PolicySetSnapshot | null>;
  /** The id of the set loaded last, if any. */
  current(): Promise<string | null>;
}
