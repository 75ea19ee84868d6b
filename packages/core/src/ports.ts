import type { Lease, LeaseState, ProviderName, RevocationHandle, RevokeCause } from "./lease.js";
import type { NarrowTaskInput, NarrowTaskOutcome } from "./narrowing.js";
import type { QuotaPool, QuotaUsage } from "./quota.js";
import type { Task, TaskEnd } from "./task.js";

export interface ActivateInput {
  /** The lease's task, when the caller knows it (saves a read). */
  taskId?: string;
  handle: RevocationHandle;
  providerExpiresAt: number;
  scope: string[];
}

/**
 * `active`: the lease is live. `revoke`: it was activated but a revocation arrived while it was pending
 * (task ended, lease returned, campaign), so it went straight to `revoking` and must be revoked now.
 */
export type ActivateOutcome = "active" | "revoke";

/** A revoke job: the lease's own record says why it ends (`reason` is only a hint for logs). */
export interface RevokeOrder {
  leaseId: string;
  reason: string;
  campaignId?: string;
}

/** An order to end a lease, recorded on it (and later on its receipt): why, by whom, under which campaign. */
export interface RevocationRequest {
  leaseId: string;
  cause: RevokeCause;
  /** Who ordered it: the caller's subject, or `leash` (LEASH_ACTOR) for what Leash does by itself. */
  actor: string;
  campaignId?: string;
  /** With `policy_changed`: the ids of the policies that now deny the lease. */
  policies?: readonly string[];
}

/** How a live lease ends once confirmed: revoked at its provider, or expired by itself. */
export type SettledState = "revoked" | "expired";

export interface LeaseSelector {
  agent?: string;
  agentPrefix?: string;
  taskId?: string;
  provider?: ProviderName;
  target?: string;
  issuedBefore?: number;
  all?: boolean;
  /**
   * With `agent` or `agentPrefix`: also the leases of every task descending, at any depth, from the matching
   * agents' tasks (their delegates'), since all they hold came from that authority. Unset means false here; the
   * API's selectors default it to true.
   */
  includeDelegated?: boolean;
}

export interface LeaseQuery {
  agent?: string;
  taskId?: string;
  provider?: ProviderName;
  target?: string;
  state?: LeaseState;
  /** When set, `state` matches the state a reader sees at this instant (see `observedState`), not the stored one. */
  at?: number;
  cursor?: string;
  limit: number;
}

export interface LeasePage {
  items: Lease[];
  nextCursor: string | null;
}

export interface IdempotencyRecord {
  leaseId: string;
  bodyHash: string;
}

/**
 * What an issuance in one step (`LeaseStore.createActive`) checks again in the store, atomically with the write:
 * what it read before deciding, so a change that landed since refuses the lease instead of escaping the step that
 * revokes what that change no longer allows.
 */
export interface IssueStanding {
  /**
   * The lease's task, then its ancestors, each with the `stamp` it was read with (null: not compared, e.g. a token
   * that holds no intent). The lease's task must still be active; a stamp moved since means a narrowing or a
   * suspension landed in between.
   */
  tasks: readonly { id: string; stamp: number | null }[];
  /**
   * Identities whose suspension refuses the lease, read in the same step: needed only under a task a suspension
   * has reached before it was read (`Task.reachedBySuspension`), since later ones move the stamps.
   */
  agents: readonly string[];
}

/** Why `createActive` wrote nothing: the task ended, a level's stamp moved, or an identity is suspended. */
export type IssueRefusal = "task_not_active" | "changed" | "agent_suspended";

export interface LeaseStore {
  /**
   * Write-ahead: records the lease as `pending` before anything exists at the provider. With an idempotency key,
   * returns the existing record instead when the key was used already (nothing is written then). With quota
   * pools, checks them and counts the lease in them in the same atomic step, or writes nothing and throws
   * `quota_exceeded` (`quotaExceeded`) naming the first pool that is full.
   */
  createPending(
    lease: Lease,
    idempotency?: { key: string; bodyHash: string },
    quotas?: readonly QuotaPool[],
  ): Promise<IdempotencyRecord | null>;
  /**
   * For credentials that die in the store (nothing exists outside Leash before the answer leaves): records the
   * lease `active` and schedules its end in one step, with the idempotency key and quotas of `createPending`, after
   * checking `standing`. Returns the earlier record for a used key, a refusal, or null when written.
   */
  createActive(
    lease: Lease,
    standing: IssueStanding,
    idempotency?: { key: string; bodyHash: string },
    quotas?: readonly QuotaPool[],
  ): Promise<IdempotencyRecord | { refused: IssueRefusal } | null>;
  /** The record of an Idempotency-Key this agent used (the lease it led to), or null; writes nothing. */
  idempotencyRecord(agent: string, key: string): Promise<IdempotencyRecord | null>;
  /** How full each pool is at `now` (same order). */
  quotaUsage(pools: readonly QuotaPool[], now: number): Promise<QuotaUsage[]>;
  activate(leaseId: string, input: ActivateInput): Promise<ActivateOutcome>;
  abort(leaseId: string, reason: string): Promise<boolean>;
  get(leaseId: string): Promise<Lease | null>;
  list(query: LeaseQuery): Promise<LeasePage>;
  /**
   * Marks live leases `revoking` and due at `at` (the instant the order counts from), recording cause and actor;
   * a lease already being revoked keeps its first order. Returns the ids that need a revoke job. Idempotent.
   */
  requestRevocation(orders: readonly RevocationRequest[], at: number): Promise<string[]>;
  /**
   * Ends a live lease the provider has confirmed dead (`revoked`), or whose natural expiry is confirmed
   * (`expired`), and writes its receipt in the same step: exactly one per lease, however often this is repeated.
   * Returns the lease's campaign id ("" for none) when this call ended it, null when it was not live.
   */
  settle(
    leaseId: string,
    at: number,
    state: SettledState,
    detail?: Readonly<Record<string, string | number | boolean>>,
  ): Promise<string | null>;
  /**
   * Orders and confirms at once the end of leases already dead at their provider (a whole-target cut, or task
   * tokens, which die in the store): one script call per batch, receipts included. Pending leases are only
   * ordered. Returns the ids this call ended.
   */
  settleMany(
    orders: readonly RevocationRequest[],
    at: number,
    detail?: Readonly<Record<string, string | number | boolean>>,
  ): Promise<string[]>;
  /** `settle(leaseId, at, "revoked")`: false if the lease was not being revoked. */
  markRevoked(leaseId: string, at: number): Promise<boolean>;
  markRevokeFailed(leaseId: string, error: string): Promise<boolean>;
  markExpired(leaseId: string, at: number): Promise<boolean>;
  /** Leases whose deadline has passed (expiry or a revocation order), claimed for a while so one worker takes each. */
  claimDue(now: number, limit: number, claimForMs: number): Promise<string[]>;
  /** `pending` leases older than the given instant: the mint outcome is unknown. */
  stalePending(olderThan: number, limit: number): Promise<string[]>;
  /** Live lease ids matching a selector, for campaigns and dry runs. */
  selectLive(selector: LeaseSelector): Promise<Lease[]>;
  liveCount(filter: { agent?: string }): Promise<number>;
}

export interface CreateTaskOutcome {
  task: Task;
  created: boolean;
}

export interface EndTaskOutcome {
  task: Task;
  /** False when the task had already ended (the call was a duplicate). */
  changed: boolean;
  /** Live leases of the task now being revoked (the ones this call put in `revoking` and earlier ones). */
  revoking: string[];
  /** Leases this call ordered and ended at once, receipts written: their provider revokes in the store. */
  settled: string[];
}

export interface TaskStore {
  /** Creates the task unless one with the same id exists, in which case that one is returned. */
  create(task: Task): Promise<CreateTaskOutcome>;
  get(taskId: string): Promise<Task | null>;
  /**
   * Ends an active task and its descendants and puts all their live leases in `revoking`, atomically, with cause
   * `task_<state>` and `actor` (the caller, or `leash` at the deadline). Idempotent. The leases it orders whose
   * provider is one of `inStore` (credentials that die in the store) are ended in the same step, with their
   * receipts, so they need no revoke job.
   */
  end(
    taskId: string,
    state: TaskEnd,
    at: number,
    actor: string,
    inStore?: readonly ProviderName[],
  ): Promise<EndTaskOutcome | null>;
  /**
   * Replaces an active task's ceiling by a narrower one and orders the revocation of the live leases of the task
   * and its descendants that `input.outside` rejects, cause `ceiling_narrowed`, atomically; null for an unknown task.
   */
  narrow(input: NarrowTaskInput): Promise<NarrowTaskOutcome | null>;
  leaseCounts(taskId: string): Promise<Partial<Record<LeaseState, number>>>;
  /** Active tasks whose deadline has passed. */
  dueTasks(now: number, limit: number): Promise<string[]>;
  /**
   * Ids of the agent's tasks (its own and those delegated to it) active and before their deadline at `now`, at most
   * `limit` of them: the OAuth token endpoint picks the task when the agent has exactly one.
   */
  activeOf(agent: string, now: number, limit: number): Promise<string[]>;
}

export interface RevocationQueue {
  /** Schedules revocation at the provider now. Job ids are lease ids, so duplicates collapse. */
  revoke(orders: readonly RevokeOrder[]): Promise<void>;
}

/**
 * What makes the gateways refuse a gateway credential: one lease ended, or every lease of an upstream issued before
 * an instant (a whole-upstream cut). `expiresAt` (epoch ms) is when the entry stops mattering, because every
 * credential it covers has expired by then anyway; the record may be forgotten after it.
 */
export type GatewayRevocation =
  | { kind: "lease"; leaseId: string; expiresAt: number }
  | { kind: "cut"; upstream: string; issuedBefore: number; expiresAt: number };

/** Where the gateway provider records revocations; the gateways follow them (see @leash/store's live lease view). */
export interface GatewayRevocations {
  /** Resolves once the entries are durable and announced to the gateways. Idempotent. */
  record(entries: readonly GatewayRevocation[]): Promise<void>;
}
