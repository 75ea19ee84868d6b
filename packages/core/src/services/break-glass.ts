import type { BreakGlass } from "../approval.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { newId } from "../ids.js";
import type { CeilingIntent } from "../intent.js";
import type { Lease } from "../lease.js";
import type { BrokerDeps } from "./deps.js";

export interface OpenBreakGlass {
  taskId: string;
  justification: string;
  ttlSeconds: number;
  ceiling: CeilingIntent[];
}

/**
 * The security team widens one task's ceiling for a short while. It expires by itself (or is closed early), every
 * lease that needs it is marked `break_glass` and ends no later than it, and opening another is a new, separately
 * audited act (never a silent renewal).
 */
export async function openBreakGlass(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  input: OpenBreakGlass,
): Promise<BreakGlass> {
  if (input.ttlSeconds > deps.config.maxBreakGlassSeconds) {
    throw new LeashError(
      "invalid_request",
      `ttl_seconds may be at most ${deps.config.maxBreakGlassSeconds} for break-glass`,
    );
  }
  const task = await deps.tasks.get(input.taskId);
  if (!task) throw new LeashError("not_found", `task ${input.taskId} does not exist`);
  if (task.state !== "active") throw new LeashError("task_not_active", `task ${task.id} is ${task.state}`);
  const now = deps.clock.now();
  const previous = await deps.breakGlass.current(task.id, now);
  const grant: BreakGlass = {
    id: newId("ap", now).replace(/^ap_/, "bg_"),
    taskId: task.id,
    ceiling: input.ceiling,
    justification: input.justification,
    openedBy: caller.subject,
    openedAt: now,
    expiresAt: Math.min(now + input.ttlSeconds * 1000, task.deadline),
  };
  await deps.breakGlass.open(grant);
  await deps.audit.append({
    type: "break_glass.opened",
    actor: caller.subject,
    agent: task.agent,
    taskId: task.id,
    outcome: "warning",
    detail: {
      break_glass_id: grant.id,
      justification: grant.justification,
      ceiling: grant.ceiling,
      expires_at: grant.expiresAt,
      ...(previous ? { replaces: previous.id } : {}),
    },
  });
  return grant;
}

export interface ClosedBreakGlass {
  grant: BreakGlass;
  /** `expired` when it had ended by itself before anyone closed it (then nothing is revoked). */
  state: "closed" | "expired";
  /** Live leases issued under the grant, now being revoked. */
  revoking: number;
}

/** Leases recorded before grants were tracked by id carry only the flag: those issued while the grant was open. */
function issuedUnder(lease: Lease, grant: BreakGlass): boolean {
  if (!lease.breakGlass) return false;
  if (lease.breakGlassId) return lease.breakGlassId === grant.id;
  return lease.issuedAt >= grant.openedAt && lease.issuedAt < grant.expiresAt;
}

/**
 * The security team ends a grant before its time: it widens nothing from now on, and every live lease that needed
 * it is revoked with cause `break_glass_ended` (the others of the task keep running). Idempotent: a second call
 * changes nothing and revokes whatever is still live under the grant.
 */
export async function closeBreakGlass(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  grantId: string,
): Promise<ClosedBreakGlass> {
  const now = deps.clock.now();
  const known = await deps.breakGlass.get(grantId);
  if (!known) throw new LeashError("not_found", `break-glass ${grantId} does not exist`);
  // An expired grant is over already: its leases ended with it (their TTL is capped at its end).
  if (known.closedAt === undefined && known.expiresAt <= now)
    return { grant: known, state: "expired", revoking: 0 };
  // Closed first, then selected: an issuance racing with this either is found below or sees the grant closed.
  const closed = await deps.breakGlass.close(grantId, caller.subject, now);
  if (!closed) throw new LeashError("not_found", `break-glass ${grantId} does not exist`);
  const { grant, closedNow } = closed;
  const live = (await deps.leases.selectLive({ taskId: grant.taskId })).filter((l) => issuedUnder(l, grant));
  const due = await deps.leases.requestRevocation(
    live.map((l) => ({ leaseId: l.id, cause: "break_glass_ended" as const, actor: caller.subject })),
    now,
  );
  await deps.queue.revoke(due.map((id) => ({ leaseId: id, reason: "break_glass_ended" })));
  if (closedNow) {
    const task = await deps.tasks.get(grant.taskId);
    await deps.audit.append({
      type: "break_glass.closed",
      actor: caller.subject,
      ...(task ? { agent: task.agent } : {}),
      taskId: grant.taskId,
      outcome: "warning",
      detail: { break_glass_id: grant.id, revoking: live.length, opened_at: grant.openedAt },
    });
  }
  return { grant, state: "closed", revoking: live.length };
}
