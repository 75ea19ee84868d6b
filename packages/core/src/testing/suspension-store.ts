import { isLive, type Lease } from "../lease.js";
import type { SuspendOutcome, Suspension, SuspensionStore } from "../suspension.js";
import { inForce } from "../suspension.js";
import type { CallLog } from "./calls.js";
import type { InMemoryLeaseStore } from "./lease-store.js";
import type { InMemoryTaskStore } from "./task-store.js";

/** Suspensions in a Map; suspending orders the revocation of the agent's live leases (and its delegates'). */
export class InMemorySuspensionStore implements SuspensionStore {
  readonly records = new Map<string, Suspension>();

  constructor(
    private readonly log: CallLog,
    private readonly tasks: InMemoryTaskStore,
    private readonly leases: InMemoryLeaseStore,
  ) {}

  async suspend(suspension: Suspension, includeDelegated: boolean): Promise<SuspendOutcome> {
    this.log.record("suspensions.suspend");
    const previous = this.records.get(suspension.agent) ?? null;
    this.records.set(suspension.agent, { ...suspension });
    // As suspend_agent.lua: every active task an issuance could depend on the agent through is stamped.
    const own = [...this.tasks.tasks.values()].filter(
      (t) => t.agent === suspension.agent && t.deadline >= suspension.at,
    );
    for (const id of [...own.map((t) => t.id), ...this.delegatedTasks(suspension.agent)]) {
      const task = this.tasks.tasks.get(id);
      if (task?.state === "active")
        this.tasks.tasks.set(id, { ...task, stamp: (task.stamp ?? 0) + 1, reachedBySuspension: true });
    }
    const delegated = includeDelegated ? this.delegatedTasks(suspension.agent) : new Set<string>();
    const mine = (l: Lease) => l.agent === suspension.agent || delegated.has(l.taskId);
    const live = [...this.leases.leases.values()].filter((l) => isLive(l.state) && mine(l));
    const revoked = live.filter((l) => l.state === "pending" || l.state === "active").map((l) => l.id);
    const due = await this.leases.requestRevocation(
      live.map((l) => ({ leaseId: l.id, cause: "agent_suspended" as const, actor: suspension.by })),
      suspension.at,
    );
    return { previous, revoked, due };
  }

  /** Every task descending, at any depth, from the agent's tasks. */
  private delegatedTasks(agent: string): Set<string> {
    const out = new Set<string>();
    let level = [...this.tasks.tasks.values()].filter((t) => t.agent === agent).map((t) => t.id);
    while (level.length > 0) {
      const children = [...this.tasks.tasks.values()].filter(
        (t) => t.parentId !== null && level.includes(t.parentId) && !out.has(t.id),
      );
      for (const c of children) out.add(c.id);
      level = children.map((c) => c.id);
    }
    return out;
  }

  async get(agent: string): Promise<Suspension | null> {
    this.log.record("suspensions.get");
    const found = this.records.get(agent);
    return found ? { ...found } : null;
  }

  async firstSuspended(agents: readonly string[], now: number): Promise<Suspension | null> {
    this.log.record("suspensions.firstSuspended");
    for (const agent of agents) {
      const found = this.records.get(agent) ?? null;
      if (inForce(found, now)) return { ...found };
    }
    return null;
  }

  async lift(agent: string, lapsedBy?: number): Promise<Suspension | null> {
    this.log.record("suspensions.lift");
    const found = this.records.get(agent);
    if (!found) return null;
    if (lapsedBy !== undefined && (found.until === null || found.until > lapsedBy)) return null;
    this.records.delete(agent);
    return found;
  }

  async lapsed(now: number, limit: number): Promise<string[]> {
    return [...this.records.values()]
      .filter((s) => s.until !== null && s.until <= now)
      .sort((a, b) => (a.until ?? 0) - (b.until ?? 0))
      .slice(0, limit)
      .map((s) => s.agent);
  }
}
