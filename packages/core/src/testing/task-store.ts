import type { Lease, LeaseState, ProviderName } from "../lease.js";
import type { NarrowTaskInput, NarrowTaskOutcome } from "../narrowing.js";
import type { CreateTaskOutcome, EndTaskOutcome, TaskStore } from "../ports.js";
import { inForce } from "../suspension.js";
import type { Task, TaskEnd } from "../task.js";
import { CallLog } from "./calls.js";
import type { InMemoryLeaseStore } from "./lease-store.js";
import type { InMemorySuspensionStore } from "./suspension-store.js";

/** Tasks in a Map; ending one ends its descendants and orders the revocation of their live leases. */
export class InMemoryTaskStore implements TaskStore {
  readonly tasks = new Map<string, Task>();
  /** Set after construction (the two stores refer to each other, as the Redis ones share a keyspace). */
  leases: InMemoryLeaseStore | undefined;
  /** What a task registered meanwhile is marked against (set by the fake broker). */
  suspensions: InMemorySuspensionStore | undefined;

  constructor(private readonly log = new CallLog()) {}

  async create(task: Task): Promise<CreateTaskOutcome> {
    this.log.record("tasks.create");
    const existing = this.tasks.get(task.id);
    if (existing) return { task: { ...existing }, created: false };
    // As create_task.lua: registered while its agent, or one above it, is suspended, it is marked reached.
    const parent = task.parentId === null ? undefined : this.tasks.get(task.parentId);
    const agents = parent ? [task.agent, parent.agent] : [task.agent];
    const reached =
      parent?.reachedBySuspension === true ||
      agents.some((a) => inForce(this.suspensions?.records.get(a) ?? null, task.createdAt));
    const created = reached ? { ...task, reachedBySuspension: true } : { ...task };
    this.tasks.set(task.id, created);
    return { task: { ...created }, created: true };
  }

  async get(taskId: string): Promise<Task | null> {
    this.log.record("tasks.get");
    const task = this.tasks.get(taskId);
    return task ? { ...task } : null;
  }

  async end(
    taskId: string,
    state: TaskEnd,
    at: number,
    actor: string,
    inStore: readonly ProviderName[] = [],
  ): Promise<EndTaskOutcome | null> {
    this.log.record("tasks.end");
    const task = this.tasks.get(taskId);
    if (!task) return null;
    const changed = task.state === "active";
    const ended = [task, ...this.descendants(taskId)];
    if (changed) {
      for (const t of ended) if (t.state === "active") this.tasks.set(t.id, { ...t, state, endedAt: at });
    }
    const endedIds = new Set(ended.map((t) => t.id));
    const live = this.leases
      ? (await this.leases.selectLive({ all: true })).filter((l) => endedIds.has(l.taskId))
      : [];
    const order = (l: Lease) => ({ leaseId: l.id, cause: `task_${state}` as const, actor });
    // As the Redis script: only leases this call orders (active ones) die at once; the others keep their job.
    const dies = (l: Lease) => l.state === "active" && inStore.includes(l.provider);
    const settled = (await this.leases?.settleMany(live.filter(dies).map(order), at)) ?? [];
    const revoking =
      (await this.leases?.requestRevocation(live.filter((l) => !dies(l)).map(order), at)) ?? [];
    return { task: { ...(this.tasks.get(taskId) ?? task) }, changed, revoking, settled };
  }

  async activeOf(agent: string, now: number, limit: number): Promise<string[]> {
    this.log.record("tasks.activeOf");
    return [...this.tasks.values()]
      .filter((t) => t.agent === agent && t.state === "active" && t.deadline > now)
      .slice(0, limit)
      .map((t) => t.id);
  }

  async narrow(input: NarrowTaskInput): Promise<NarrowTaskOutcome | null> {
    this.log.record("tasks.narrow");
    const task = this.tasks.get(input.taskId);
    if (!task) return null;
    if (task.state !== "active") return { kind: "not_active", task: { ...task } };
    if (JSON.stringify(task.ceiling) !== JSON.stringify(input.from)) return { kind: "changed" };
    const narrowed = { ...task, ceiling: [...input.to], stamp: (task.stamp ?? 0) + 1 };
    this.tasks.set(task.id, narrowed);
    const tree = new Set([task.id, ...this.descendants(task.id).map((t) => t.id)]);
    const outside = [...(this.leases?.leases.values() ?? [])].filter(
      (l) => tree.has(l.taskId) && (l.state === "pending" || l.state === "active") && input.outside(l),
    );
    const due =
      (await this.leases?.requestRevocation(
        outside.map((l) => ({ leaseId: l.id, cause: "ceiling_narrowed" as const, actor: input.actor })),
        input.at,
      )) ?? [];
    return { kind: "narrowed", task: { ...narrowed }, revoked: outside.map((l) => l.id), due };
  }

  private descendants(taskId: string): Task[] {
    const children = [...this.tasks.values()].filter((t) => t.parentId === taskId);
    return children.flatMap((c) => [c, ...this.descendants(c.id)]);
  }

  async leaseCounts(taskId: string): Promise<Partial<Record<LeaseState, number>>> {
    const counts: Partial<Record<LeaseState, number>> = {};
    for (const lease of this.leases?.leases.values() ?? [])
      if (lease.taskId === taskId) counts[lease.state] = (counts[lease.state] ?? 0) + 1;
    return counts;
  }

  async dueTasks(now: number, limit: number): Promise<string[]> {
    return [...this.tasks.values()]
      .filter((t) => t.state === "active" && t.deadline <= now)
      .slice(0, limit)
      .map((t) => t.id);
  }
}
