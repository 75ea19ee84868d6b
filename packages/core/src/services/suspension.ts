import type { AuditSink } from "../audit.js";
import type { Clock } from "../clock.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { LEASH_ACTOR } from "../lease.js";
import type { Suspension, SuspensionCheck, SuspensionStore } from "../suspension.js";
import type { BrokerDeps } from "./deps.js";

export interface SuspendAgent {
  agent: string;
  reason: string;
  /** When it lifts by itself (ms since the epoch); none: until someone lifts it. */
  until?: number | undefined;
  /** Also revoke the leases of every task descending from the agent's tasks (default true). */
  includeDelegated?: boolean | undefined;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A suspension as audit details and API views show it. */
export function suspensionDetail(s: Suspension) {
  return { reason: s.reason, until: iso(s.until), by: s.by, at: iso(s.at) ?? "" };
}

function needSecurity(caller: WorkloadIdentity): void {
  if (!caller.roles.has("security"))
    throw new LeashError("forbidden", "suspending or lifting a suspension needs the security role");
}

/**
 * The security team suspends an identity: from the store's write on, every request it makes is refused and nothing
 * is issued under any task descending from its tasks; its live leases, and by default its delegates', are revoked
 * in the same step (cause `agent_suspended`). Suspending again replaces reason and until, and revokes what is live.
 */
export async function suspendAgent(deps: BrokerDeps, caller: WorkloadIdentity, input: SuspendAgent) {
  needSecurity(caller);
  const now = deps.clock.now();
  if (input.until !== undefined && input.until <= now)
    throw new LeashError("invalid_request", "until must be in the future");
  const includeDelegated = input.includeDelegated ?? true;
  const suspension: Suspension = {
    agent: input.agent,
    reason: input.reason,
    until: input.until ?? null,
    by: caller.subject,
    at: now,
  };
  const outcome = await deps.suspensions.suspend(suspension, includeDelegated);
  await deps.queue.revoke(outcome.due.map((leaseId) => ({ leaseId, reason: "agent_suspended" })));
  const { by: _by, at: _at, ...detail } = suspensionDetail(suspension);
  await deps.audit.append({
    type: "agent.suspended",
    actor: caller.subject,
    agent: input.agent,
    outcome: "warning",
    detail: {
      ...detail,
      include_delegated: includeDelegated,
      revoking: outcome.revoked.length,
      ...(outcome.previous ? { replaces: suspensionDetail(outcome.previous) } : {}),
    },
  });
  return { agent: input.agent, suspended: true as const, revoking: outcome.revoked.length };
}

async function auditLift(audit: AuditSink, actor: string, lifted: Suspension, trigger: "request" | "until") {
  const { reason, until, by, at } = suspensionDetail(lifted);
  await audit.append({
    type: "agent.unsuspended",
    actor,
    agent: lifted.agent,
    outcome: "ok",
    detail: { trigger, reason, until, suspended_by: by, suspended_at: at },
  });
}

/** Lifts a suspension (nothing revoked comes back). Answers the same whether or not the agent was suspended. */
export async function liftSuspension(deps: BrokerDeps, caller: WorkloadIdentity, agent: string) {
  needSecurity(caller);
  const lifted = await deps.suspensions.lift(agent);
  if (lifted) await auditLift(deps.audit, caller.subject, lifted, "request");
  return { agent, suspended: false as const };
}

/**
 * The worker's part: suspensions whose `until` has come are removed, each audited once as Leash's act (a renewal
 * that lands in between keeps its suspension). Returns how many were lifted.
 */
export async function liftLapsedSuspensions(
  deps: { suspensions: SuspensionStore; audit: AuditSink; clock: Clock },
  limit = 100,
): Promise<number> {
  const now = deps.clock.now();
  let lifted = 0;
  for (const agent of await deps.suspensions.lapsed(now, limit)) {
    const removed = await deps.suspensions.lift(agent, now);
    if (!removed) continue;
    await auditLift(deps.audit, LEASH_ACTOR, removed, "until");
    lifted++;
  }
  return lifted;
}

/** `403 agent_suspended` when any of the agents is suspended now (one read, whatever their number). */
export async function ensureNotSuspended(
  deps: { suspensions: SuspensionCheck; clock: Clock },
  agents: readonly string[],
): Promise<void> {
  if (agents.length === 0) return;
  const found = await deps.suspensions.firstSuspended(agents, deps.clock.now());
  if (!found) return;
  const until = found.until === null ? "until lifted" : `until ${new Date(found.until).toISOString()}`;
  throw new LeashError(
    "agent_suspended",
    agents[0] === found.agent
      ? `this identity is suspended ${until}`
      : `a task this one descends from belongs to a suspended identity (${until})`,
  );
}
