import type { Role, WorkloadIdentity } from "../identity.js";
import type { Lease, ProviderName } from "../lease.js";
import type { PolicyDecider } from "../policy.js";
import type { CredentialProvider } from "../provider.js";
import type { BrokerConfig, BrokerDeps, ReplayCache } from "../services/deps.js";
import type { RevokerDeps } from "../services/revoke.js";
import type { Task } from "../task.js";
import { InMemoryApprovalStore, InMemoryBreakGlassStore } from "./approval-store.js";
import { RecordingAuditSink } from "./audit.js";
import { CallLog } from "./calls.js";
import { FakeClock } from "./clock.js";
import { InMemoryLeaseStore } from "./lease-store.js";
import { FakeProvider } from "./provider.js";
import { RecordingQueue } from "./queue.js";
import { InMemorySuspensionStore } from "./suspension-store.js";
import { InMemoryTaskStore } from "./task-store.js";

class InMemoryReplayCache implements ReplayCache {
  readonly entries = new Map<string, Readonly<Record<string, unknown>>>();

  get(leaseId: string) {
    return this.entries.get(leaseId);
  }

  set(leaseId: string, credential: Readonly<Record<string, unknown>>) {
    this.entries.set(leaseId, credential);
  }
}

const TEST_CONFIG: BrokerConfig = {
  defaultTtlSeconds: 900,
  maxTtlSeconds: 3600,
  maxTaskTtlSeconds: 86_400,
  mintTimeoutMs: 5_000,
  environment: "test",
  maxDelegationDepth: 3,
  approvalTtlSeconds: 600,
  maxBreakGlassSeconds: 3600,
};

/** BrokerDeps on in-memory fakes, with the fakes themselves at hand and one log of every port call. */
export interface FakeBroker extends BrokerDeps {
  log: CallLog;
  clock: FakeClock;
  tasks: InMemoryTaskStore;
  leases: InMemoryLeaseStore;
  queue: RecordingQueue;
  audit: RecordingAuditSink;
  replay: InMemoryReplayCache;
  approvals: InMemoryApprovalStore;
  breakGlass: InMemoryBreakGlassStore;
  suspensions: InMemorySuspensionStore;
  /** The provider registered as `vault` unless `providers` says otherwise. */
  provider: FakeProvider;
}

export function fakeBroker(
  options: {
    config?: Partial<BrokerConfig>;
    policy?: PolicyDecider;
    provider?: FakeProvider;
    providers?: CredentialProvider[];
  } = {},
): FakeBroker {
  const log = new CallLog();
  const tasks = new InMemoryTaskStore(log);
  const leases = new InMemoryLeaseStore(log, tasks);
  tasks.leases = leases;
  const suspensions = new InMemorySuspensionStore(log, tasks, leases);
  leases.suspensions = suspensions;
  tasks.suspensions = suspensions;
  const provider = options.provider ?? new FakeProvider({}, log);
  const providers = new Map<ProviderName, CredentialProvider>(
    [provider, ...(options.providers ?? [])].map((p) => [p.name, p]),
  );
  return {
    log,
    clock: new FakeClock(),
    tasks,
    leases,
    queue: new RecordingQueue(log),
    audit: new RecordingAuditSink(log),
    replay: new InMemoryReplayCache(),
    approvals: new InMemoryApprovalStore(log),
    breakGlass: new InMemoryBreakGlassStore(log),
    suspensions,
    policy: options.policy,
    providers,
    provider,
    config: { ...TEST_CONFIG, ...options.config },
  };
}

/** The deps of revocation (the worker's), over the same fakes. */
export function revokerOf(broker: FakeBroker, timeoutMs = 5_000): RevokerDeps {
  return {
    leases: broker.leases,
    providers: broker.providers,
    audit: broker.audit,
    clock: broker.clock,
    timeoutMs,
  };
}

export function identity(subject: string, ...roles: Role[]): WorkloadIdentity {
  return {
    subject,
    issuer: "https://idp.example",
    roles: new Set(roles),
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

/** A root task, active, registered directly in the store (for services that start from an existing task). */
export async function givenTask(broker: FakeBroker, overrides: Partial<Task> = {}): Promise<Task> {
  const now = broker.clock.now();
  const task: Task = {
    id: `tk_${broker.tasks.tasks.size + 1}`,
    agent: "spiffe://example.org/agent",
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttlSeconds: 3600,
    parentId: null,
    depth: 0,
    labels: {},
    state: "active",
    createdBy: "spiffe://example.org/orchestrator",
    createdAt: now,
    deadline: now + 3_600_000,
    endedAt: null,
    bodyHash: "",
    ...overrides,
  };
  await broker.tasks.create(task);
  return task;
}

/** A lease written ahead and activated directly in the store (state `active` unless `overrides.state` says `pending`). */
export async function givenLease(broker: FakeBroker, overrides: Partial<Lease> = {}): Promise<Lease> {
  const now = broker.clock.now();
  const lease: Lease = {
    id: `ls_${broker.leases.leases.size + 1}`,
    taskId: "tk_1",
    agent: "spiffe://example.org/agent",
    provider: "vault",
    target: "reader",
    intent: { action: "read", resource: "docs/a.md" },
    scope: [],
    state: "pending",
    issuedAt: now,
    expiresAt: now + 60_000,
    revokedAt: null,
    revokeReason: null,
    handle: null,
    providerExpiresAt: null,
    breakGlass: false,
    ...overrides,
  };
  await broker.leases.createPending({ ...lease, state: "pending" });
  if (overrides.state !== "pending") {
    await broker.leases.activate(lease.id, {
      handle: overrides.handle ?? { lease: lease.id },
      providerExpiresAt: overrides.providerExpiresAt ?? lease.expiresAt,
      scope: [],
    });
  }
  return (await broker.leases.get(lease.id)) ?? lease;
}
