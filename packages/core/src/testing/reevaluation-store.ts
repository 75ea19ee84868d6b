import { isLive } from "../lease.js";
import type {
  Denial,
  DeniedLease,
  NewReevaluation,
  PolicySetSnapshot,
  PolicySetStore,
  RecordedLease,
  RecordedTask,
  Reevaluation,
  ReevaluationProgress,
  ReevaluationStore,
} from "../reevaluation.js";
import type { InMemoryLeaseStore } from "./lease-store.js";
import type { InMemoryTaskStore } from "./task-store.js";

interface Stored {
  run: Reevaluation;
  progress: ReevaluationProgress;
  frozenAt: number | null;
  seen: Set<string>;
  denied: Map<string, DeniedLease>;
}

/** A sortable position in a phase: score then id, as the Redis store reads a sorted set. */
const position = (score: number, id: string) => `${String(score).padStart(16, "0")}|${id}`;

/** Re-evaluations in a Map over the in-memory lease table, with the Redis store's once-only rules. */
export class InMemoryReevaluationStore implements ReevaluationStore {
  readonly runs = new Map<string, Stored>();
  /** Test hook: runs before each `advance` with its count, e.g. to crash between a chunk's orders and its cursor. */
  beforeAdvance: ((checked: number) => void) | undefined;

  constructor(
    private readonly store: InMemoryLeaseStore,
    private readonly taskStore: InMemoryTaskStore,
  ) {}

  private must(id: string): Stored {
    const stored = this.runs.get(id);
    if (!stored) throw new Error(`no re-evaluation ${id}`);
    return stored;
  }

  async create(run: NewReevaluation): Promise<void> {
    const record: Reevaluation = {
      ...run,
      state: "running",
      checked: 0,
      denied: 0,
      revoked: 0,
      byPolicy: {},
      completedAt: null,
      problems: [],
      supersededBy: null,
    };
    this.runs.set(run.id, {
      run: record,
      progress: { phase: "pending", cursor: "" },
      frozenAt: null,
      seen: new Set(),
      denied: new Map(),
    });
  }

  async get(id: string): Promise<Reevaluation | null> {
    const stored = this.runs.get(id);
    return stored ? structuredClone(stored.run) : null;
  }

  async list(limit: number): Promise<Reevaluation[]> {
    return [...this.runs.values()]
      .filter((s) => !s.run.dryRun)
      .map((s) => structuredClone(s.run))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
  }

  async begin(id: string, at: number) {
    const stored = this.must(id);
    stored.frozenAt ??= at;
    return { ...stored.progress, frozenAt: stored.frozenAt };
  }

  async next(from: ReevaluationProgress, count: number, frozenAt: number) {
    const all = [...this.store.leases.values()];
    const entries =
      from.phase === "tail"
        ? all.map((l) => ({ id: l.id, at: l.id }))
        : all
            .filter((l) =>
              from.phase === "pending"
                ? l.state === "pending" && l.issuedAt <= frozenAt
                : isLive(l.state) && l.state !== "pending",
            )
            .map((l) => ({
              id: l.id,
              at: position(from.phase === "pending" ? l.issuedAt : l.expiresAt, l.id),
            }));
    const page = entries
      .filter((e) => e.at > from.cursor)
      .sort((a, b) => (a.at < b.at ? -1 : 1))
      .slice(0, count);
    return { ids: page.map((e) => e.id), to: { phase: from.phase, cursor: page.at(-1)?.at ?? from.cursor } };
  }

  async leases(ids: readonly string[]): Promise<RecordedLease[]> {
    return ids.flatMap((id) => this.store.leases.get(id) ?? []);
  }

  async tasks(ids: readonly string[]): Promise<RecordedTask[]> {
    return ids.flatMap((id) => this.taskStore.tasks.get(id) ?? []);
  }

  async seen(id: string, leaseIds: readonly string[]): Promise<Set<string>> {
    const seen = this.must(id).seen;
    return new Set(leaseIds.filter((l) => seen.has(l)));
  }

  async denied(id: string, leaseIds: readonly string[]): Promise<Set<string>> {
    const denied = this.must(id).denied;
    return new Set(leaseIds.filter((l) => denied.has(l)));
  }

  async deny(id: string, denials: readonly Denial[], order: { actor: string; at: number; dryRun: boolean }) {
    const stored = this.must(id);
    const jobs: string[] = [];
    for (const { lease, policies, settle } of denials) {
      if (stored.denied.has(lease.id)) continue;
      stored.denied.set(lease.id, {
        leaseId: lease.id,
        agent: lease.agent,
        taskId: lease.taskId,
        provider: lease.provider,
        target: lease.target,
        intent: { ...lease.intent },
        policies: [...policies],
      });
      stored.run.denied += 1;
      for (const p of policies) stored.run.byPolicy[p] = (stored.run.byPolicy[p] ?? 0) + 1;
      if (order.dryRun) continue;
      const request = { leaseId: lease.id, cause: "policy_changed" as const, actor: order.actor, policies };
      const before = (await this.store.get(lease.id))?.state;
      if (before === "active" || before === "pending") stored.run.revoked += 1;
      if (settle) await this.store.settleMany([request], order.at);
      else jobs.push(...(await this.store.requestRevocation([request], order.at)));
    }
    return jobs;
  }

  async advance(
    id: string,
    from: ReevaluationProgress,
    to: ReevaluationProgress,
    checked: number,
    seen: readonly string[],
  ) {
    this.beforeAdvance?.(checked);
    const stored = this.must(id);
    if (stored.progress.phase !== from.phase || stored.progress.cursor !== from.cursor) return false;
    stored.progress = { ...to };
    stored.run.checked += checked;
    for (const l of seen) stored.seen.add(l);
    return true;
  }

  async complete(
    id: string,
    at: number,
    outcome: { state: "done" | "failed"; problems?: readonly string[]; supersededBy?: string },
  ) {
    const stored = this.must(id);
    if (stored.run.state !== "running") return false;
    stored.run.state = outcome.state;
    stored.run.completedAt = at;
    stored.run.problems = [...(outcome.problems ?? [])];
    stored.run.supersededBy = outcome.supersededBy ?? null;
    stored.seen.clear();
    return true;
  }

  async sample(id: string, count: number): Promise<DeniedLease[]> {
    return [...this.must(id).denied.values()].slice(0, count);
  }

  async liveCounts(): Promise<ReadonlyMap<string, number>> {
    const counts = new Map<string, number>();
    for (const l of this.store.leases.values())
      if (isLive(l.state)) counts.set(l.agent, (counts.get(l.agent) ?? 0) + 1);
    return counts;
  }
}

export class InMemoryPolicySetStore implements PolicySetStore {
  readonly sets = new Map<string, PolicySetSnapshot>();
  loaded: string | null = null;

  async put(snapshot: PolicySetSnapshot, options: { current: boolean; keepMs: number }): Promise<boolean> {
    this.sets.set(snapshot.id, snapshot);
    if (!options.current || this.loaded === snapshot.id) return false;
    this.loaded = snapshot.id;
    return true;
  }

  async get(id: string): Promise<PolicySetSnapshot | null> {
    return this.sets.get(id) ?? null;
  }

  async current(): Promise<string | null> {
    return this.loaded;
  }
}
