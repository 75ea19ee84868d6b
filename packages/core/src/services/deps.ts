import type { ApprovalStore, BreakGlassStore } from "../approval.js";
import type { AuditSink } from "../audit.js";
import type { Clock } from "../clock.js";
import type { ProviderName } from "../lease.js";
import type { PolicyDecider } from "../policy.js";
import type { LeaseStore, RevocationQueue, TaskStore } from "../ports.js";
import type { CredentialProvider } from "../provider.js";
import type { Quota } from "../quota.js";
import type { TaskPlacement } from "../shards.js";
import type { SuspensionStore } from "../suspension.js";
import type { TaskCache } from "./issue/task-cache.js";

export interface BrokerConfig {
  /** TTL when the agent asks for none. */
  defaultTtlSeconds: number;
  /** Upper bound on any lease, whatever the provider allows. */
  maxTtlSeconds: number;
  /** Upper bound on a task's lifetime. */
  maxTaskTtlSeconds: number;
  /** How long a mint may take before its outcome is treated as unknown. */
  mintTimeoutMs: number;
  /** Passed to policies as `context.environment`. */
  environment: string;
  /** Deepest allowed delegation (a root task is depth 0). */
  maxDelegationDepth: number;
  /** How long a step-up request waits for a decision. */
  approvalTtlSeconds: number;
  /** Longest break-glass grant. */
  maxBreakGlassSeconds: number;
  /** The trust file's quotas, all applying to every lease they match (none: only task quotas). */
  quotas?: readonly Quota[];
}

/** Keeps a delivered credential in process memory for a few minutes so an idempotent replay returns it exactly. */
export interface ReplayCache {
  get(leaseId: string): Readonly<Record<string, unknown>> | undefined;
  set(leaseId: string, credential: Readonly<Record<string, unknown>>): void;
}

export interface BrokerDeps {
  tasks: TaskStore;
  leases: LeaseStore;
  queue: RevocationQueue;
  providers: ReadonlyMap<ProviderName, CredentialProvider>;
  policy: PolicyDecider | undefined;
  audit: AuditSink;
  clock: Clock;
  replay: ReplayCache;
  approvals: ApprovalStore;
  breakGlass: BreakGlassStore;
  /** Suspended identities: refused everything, and nothing is issued under tasks descending from theirs. */
  suspensions: SuspensionStore;
  config: BrokerConfig;
  /**
   * Task records in process memory for the issuance in one step (absent: every issuance reads its task); see
   * issue/task-cache.ts for why a stale one is safe.
   */
  taskCache?: TaskCache;
  /** Where new task trees go when the store has several shards (absent: one shard). */
  placement?: TaskPlacement;
}
