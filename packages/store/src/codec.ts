import {
  type CeilingIntent,
  type Intent,
  type Lease,
  LeaseState,
  ProviderName,
  type RevocationHandle,
  type Task,
  type TaskQuota,
  TaskState,
} from "@leash/core";

/** Field names are short because there is one hash per lease and the target is under 1 KiB per live lease. */
export function leaseToFields(lease: Lease): string[] {
  const fields: Record<string, string> = {
    task: lease.taskId,
    agent: lease.agent,
    provider: lease.provider,
    intent: JSON.stringify(lease.intent),
    state: lease.state,
    issued: String(lease.issuedAt),
    expires: String(lease.expiresAt),
  };
  if (lease.target !== null) fields.target = lease.target;
  // The grant's id, so closing the grant finds the leases that needed it ("1" before grants were tracked).
  if (lease.breakGlass) fields.bg = lease.breakGlassId ?? "1";
  // What a re-evaluation decides the lease again with: the TTL the policies saw, and the set that permitted it.
  if (lease.requestedTtlSeconds != null) fields.rttl = String(lease.requestedTtlSeconds);
  if (lease.policySet) fields.pset = lease.policySet;
  // A lease written active in one step carries what activation writes on one written ahead.
  if (lease.handle !== null) fields.handle = JSON.stringify(lease.handle);
  if (lease.providerExpiresAt !== null) fields.pexp = String(lease.providerExpiresAt);
  if (lease.state !== "pending") fields.scope = JSON.stringify(lease.scope);
  return Object.entries(fields).flat();
}

function num(value: string | undefined): number | null {
  return value === undefined || value === "" ? null : Number(value);
}

export function leaseFromHash(id: string, h: Record<string, string>): Lease | null {
  if (!h.state) return null;
  return {
    id,
    taskId: h.task ?? "",
    agent: h.agent ?? "",
    provider: ProviderName.parse(h.provider),
    target: h.target ?? null,
    intent: JSON.parse(h.intent ?? "{}") as Intent,
    scope: h.scope ? (JSON.parse(h.scope) as string[]) : [],
    state: LeaseState.parse(h.state),
    issuedAt: Number(h.issued),
    expiresAt: Number(h.expires),
    revokedAt: num(h.revoked_at),
    revokeReason: h.reason ?? null,
    revokeRequestedAt: num(h.revoke_req),
    handle: h.handle ? (JSON.parse(h.handle) as RevocationHandle) : null,
    providerExpiresAt: num(h.pexp),
    breakGlass: h.bg !== undefined,
    breakGlassId: h.bg === undefined || h.bg === "1" ? null : h.bg,
    requestedTtlSeconds: num(h.rttl),
    policySet: h.pset ?? null,
  };
}

export function taskToFields(task: Task): string[] {
  const fields: Record<string, string> = {
    id: task.id,
    agent: task.agent,
    ceiling: JSON.stringify(task.ceiling),
    ttl: String(task.ttlSeconds),
    depth: String(task.depth),
    labels: JSON.stringify(task.labels),
    state: task.state,
    created_by: task.createdBy,
    created: String(task.createdAt),
    deadline: String(task.deadline),
    body_hash: task.bodyHash,
  };
  if (task.parentId !== null) fields.parent = task.parentId;
  if (task.quota) fields.quota = JSON.stringify(task.quota);
  if (task.shard !== undefined) fields.shard = String(task.shard);
  return Object.entries(fields).flat();
}

export function taskFromHash(h: Record<string, string>): Task | null {
  if (!h.id || !h.state) return null;
  return {
    id: h.id,
    agent: h.agent ?? "",
    ceiling: JSON.parse(h.ceiling ?? "[]") as CeilingIntent[],
    ttlSeconds: Number(h.ttl),
    parentId: h.parent ?? null,
    depth: Number(h.depth ?? 0),
    labels: JSON.parse(h.labels ?? "{}") as Record<string, string>,
    state: TaskState.parse(h.state),
    createdBy: h.created_by ?? "",
    createdAt: Number(h.created),
    deadline: Number(h.deadline),
    endedAt: num(h.ended),
    bodyHash: h.body_hash ?? "",
    ...(h.quota ? { quota: JSON.parse(h.quota) as TaskQuota } : {}),
    ...(h.shard ? { shard: Number(h.shard) } : {}),
    ...(h.stamp ? { stamp: Number(h.stamp) } : {}),
    ...(h.susp ? { reachedBySuspension: true } : {}),
  };
}
