import { isLive } from "../lease.js";
import type {
  Denial,
  DeniedLease,
  NewReevaluation,
  PolicySetSnapshot,
  PolicySetStore,
  Reevaluation,
  ReevaluationProgress,
  ReevaluationStore,
} from "../reevaluation.js";
import type { InMemoryLeaseStore } from "./lease-store.js";

interface Stored {
  run: Reevaluation;
  progress: ReevaluationProgress;
  frozenAt: number | null;
  targets: string[];
  denied: Map<string, DeniedLease>;
}

/** Re-evaluations in a Map over the in-memory lease table, with the Redis store's once-only rules. */
export class InMemoryReevaluationStore implements ReevaluationStore {
  readonly runs = new Map<string, Stored>();
  /** Test hook: runs before each `advance`, e.g. to crash between a chunk's orders and its cursor. */
  beforeAdvance: (() => void) | undefined;

  constructor(private readonly leases: InMemoryLeaseStore) {}

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
      progress: { phase: "targets", cursor: "" },
      frozenAt: null,
      targets: [],
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
    if (stored.frozenAt === null) {
      stored.frozenAt = at;
      stored.targets = [...this.leases.leases.values()]
        .filter((l) => isLive(l.state))
        .map((l) => l.id)
        .sort();
    }
    return { ...stored.progress, frozenAt: stored.frozenAt };
  }

  async next(id: string, from: ReevaluationProgress, count: number): Promise<string[]> {
    const stored = this.must(id);
    const ids = from.phase === "targets" ? stored.targets : [...this.leases.leases.keys()].sort();
    return ids.filter((l) => l > from.cursor).slice(0, count);
  }

  async frozen(id: string, leaseIds: readonly string[]): Promise<Set<string>> {
    const targets = new Set(this.must(id).targets);
    return new Set(leaseIds.filter((l) => targets.has(l)));
  }

  async denied(id: string, leaseIds: readonly string[]): Promise<Set<string>> {
    const denied = this.must(id).denied;
    return new Set(leaseIds.filter((l) => denied.has(l)));
  }

  async deny(id: string, denials: readonly Denial[], order: { actor: string; at: number }) {
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
      if (stored.run.dryRun) continue;
      const request = { leaseId: lease.id, cause: "policy_changed" as const, actor: order.actor, policies };
      const before = (await this.leases.get(lease.id))?.state;
      if (before === "active" || before === "pending") stored.run.revoked += 1;
      if (settle) await this.leases.settleMany([request], order.at);
      else jobs.push(...(await this.leases.requestRevocation([request], order.at)));
    }
    return jobs;
  }

  async advance(id: string, from: ReevaluationProgress, to: ReevaluationProgress, checked: number) {
    this.beforeAdvance?.();
    const stored = this.must(id);
    if (stored.progress.phase !== from.phase || stored.progress.cursor !== from.cursor) return false;
    stored.progress = { ...to };
    stored.run.checked += checked;
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
    stored.targets = [];
    return true;
  }

  async sample(id: string, count: number): Promise<DeniedLease[]> {
    return [...this.must(id).denied.values()].slice(0, count);
  }

  async liveCounts(): Promise<ReadonlyMap<string, number>> {
    const counts = new Map<string, number>();
    for (const l of this.leases.leases.values())
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
