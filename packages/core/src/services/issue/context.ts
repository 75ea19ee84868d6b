import type { Approval, BreakGlass } from "../../approval.js";
import type { WorkloadIdentity } from "../../identity.js";
import type { Intent } from "../../intent.js";
import type { Lease, ProviderName } from "../../lease.js";
import type { PolicyDecision } from "../../policy.js";
import type { IdempotencyRecord } from "../../ports.js";
import type { Confirmation, CredentialProvider } from "../../provider.js";
import type { Task } from "../../task.js";
import type { BrokerDeps } from "../deps.js";

export interface IssueRequest {
  taskId: string;
  provider: ProviderName;
  target: string | undefined;
  intent: Intent;
  ttlSeconds: number | undefined;
  /** The key the credential is bound to (RFC 9449 DPoP), for providers that bind: the OAuth access tokens. */
  confirmation?: Confirmation | undefined;
}

export interface Issued {
  kind: "issued";
  lease: Lease;
  credential: Readonly<Record<string, unknown>>;
  /** True when this is the replay of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export interface AwaitingApproval {
  kind: "approval";
  approval: Approval;
}

export interface IssueOptions {
  idempotencyKey?: string | undefined;
  /** Ends an idempotent replay's wait for the first request (e.g. the client went away). */
  signal?: AbortSignal | undefined;
}

/** What one issuance knows from the start: who asks for what, and when (one instant for the whole flow). */
export interface IssueContext {
  deps: BrokerDeps;
  caller: WorkloadIdentity;
  request: IssueRequest;
  options: IssueOptions;
  now: number;
}

/** After `load`: the caller's active task, the provider, and the agents the task was delegated through. */
export interface Loaded extends IssueContext {
  task: Task;
  provider: CredentialProvider;
  /** Agents of the ancestor tasks, nearest first (the RFC 8693 `act` chain and the policy's `task.chain`). */
  chain: string[];
  /** The ancestor tasks themselves, nearest first (their quotas cover this task's leases too). */
  ancestors: Task[];
  /** The levels may come from the process's task cache: valid only for the issuance in one step, which checks. */
  cached: boolean;
}

/** After `verify`: the break-glass grant the intent needs, or null when the task's own ceiling covers it. */
export interface Verified extends Loaded {
  grant: BreakGlass | null;
}

/** After `decide`: what the policy said, and the lease to write ahead (state `pending`, TTL capped). */
export interface Decided extends Verified {
  decision: PolicyDecision | undefined;
  /** The policy decision's audit detail (its request and obligations); empty without a policy set. */
  policyDetail: Readonly<Record<string, unknown>>;
  approvalId: string | null;
  requestHash: string;
  lease: Lease;
  /** A retry of a stepped-up request under the Idempotency-Key that spent its approval: nothing is written. */
  earlier?: IdempotencyRecord;
}
