import type { AuditSink } from "../audit.js";
import { type Clock, sleepOn } from "../clock.js";
import { LeashError } from "../errors.js";
import { idFloor, newId } from "../ids.js";
import type { ProviderName } from "../lease.js";
import { isSession } from "../oauth/session.js";
import type { RevocationQueue } from "../ports.js";
import type { CredentialProvider } from "../provider.js";
import type {
  Denial,
  LiveDecisionSession,
  LivePolicyDecider,
  PolicySetStore,
  RecordedLease,
  RecordedTask,
  Reevaluation,
  ReevaluationPhase,
  ReevaluationProgress,
  ReevaluationStore,
  ReevaluationTrigger,
} from "../reevaluation.js";
import { policyRequestFor } from "./policy-request.js";

export interface ReevaluationQueue extends RevocationQueue {
  startReevaluation(id: string): Promise<void>;
}

export interface ReevaluationDeps {
  reevaluations: ReevaluationStore;
  policySets: PolicySetStore;
  queue: ReevaluationQueue;
  providers: ReadonlyMap<ProviderName, Pick<CredentialProvider, "revokesInStore">>;
  audit: AuditSink;
  clock: Clock;
  config: {
    defaultTtlSeconds: number;
    environment: string;
    maxDelegationDepth: number;
    /** How long a finished run stays readable (LEASH_LEASE_RETENTION_SECONDS). */
    retentionMs: number;
  };
}

/**
 * Starts a re-evaluation with a policy set the store holds: the API's for a reload or a request, or a candidate
 * set for a dry run. The worker runs it (`runReevaluation`).
 */
export async function startReevaluation(
  deps: Pick<ReevaluationDeps, "reevaluations" | "clock"> & {
    queue: Pick<ReevaluationQueue, "startReevaluation">;
  },
  input: { trigger: ReevaluationTrigger; requestedBy: string; policySet: string; dryRun: boolean },
): Promise<Reevaluation> {
  const now = deps.clock.now();
  const id = newId("re", now);
  await deps.reevaluations.create({ id, createdAt: now, ...input });
  await deps.queue.startReevaluation(id);
  const run = await deps.reevaluations.get(id);
  if (!run) throw new LeashError("internal", "re-evaluation vanished after creation");
  return run;
}

/** Waits, on the clock, until a run is no longer running; 503 when it is still running at `timeoutMs`. */
export async function awaitReevaluation(
  deps: Pick<ReevaluationDeps, "reevaluations" | "clock">,
  id: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Reevaluation> {
  const deadline = deps.clock.now() + timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const run = await deps.reevaluations.get(id);
    if (run && run.state !== "running") return run;
    if (deps.clock.now() >= deadline)
      throw new LeashError("not_ready", "the worker did not finish the dry run in time; try again", {
        retryAfterSeconds: 5,
      });
    await sleepOn(deps.clock, wait, signal);
  }
}

export interface ReevaluationHooks {
  /** After each chunk: lets issuance through (pacing) and reports progress. */
  chunkDone?(progress: { checked: number; leases: number }): Promise<void>;
  /** Leases this run ended at once (their credentials died in the store). */
  settled?(leases: readonly RecordedLease[]): void;
}

export type ReevaluationRun =
  | { kind: "missing" }
  | { kind: "paused" }
  | {
      kind: "finished";
      run: Reevaluation;
      decisions?: number;
      phaseMs?: Partial<Record<ReevaluationPhase, number>>;
    };

/** Lease ids per store round trip: small enough that each Redis call stays short while issuance goes on. */
export const REEVALUATION_CHUNK = 500;
/**
 * The tail starts this long before the start: a request decided under the earlier set may write its lease ahead
 * after it. Leases issued since then and decided in an earlier phase are remembered (`seen`), not decided twice.
 */
const TAIL_MARGIN_MS = 60_000;
const DECIDABLE = new Set(["pending", "active"]);
const PHASES: readonly ReevaluationPhase[] = ["pending", "live", "tail"];

/**
 * Decides every lease the run covers again, chunk by chunk, saving its cursor after each: the leases pending at its
 * start, the live ones, then (unless a dry run) those issued under an earlier policy set while it ran. A resumed run
 * starts at the saved cursor; a chunk done again after a crash orders nothing twice (the store records each denial
 * once, atomically with the order) and counts nothing twice (the cursor moves only from where it was).
 */
export async function runReevaluation(
  deps: ReevaluationDeps,
  run: Reevaluation,
  decider: LivePolicyDecider,
  hooks: ReevaluationHooks = {},
  signal?: AbortSignal,
): Promise<ReevaluationRun> {
  const store = deps.reevaluations;
  const start = await store.begin(run.id, deps.clock.now());
  const pass = new Pass(deps, run, decider.session(), await store.liveCounts(), start.frozenAt);
  const pages = new Pages(store, start.frozenAt, (ids) => store.seen(run.id, ids));
  let at: ReevaluationProgress = { phase: start.phase, cursor: start.cursor };
  const phaseMs: Partial<Record<ReevaluationPhase, number>> = {};
  let phaseStarted = deps.clock.now();
  const endPhase = () => {
    phaseMs[at.phase] = (phaseMs[at.phase] ?? 0) + deps.clock.now() - phaseStarted;
    phaseStarted = deps.clock.now();
  };
  let checked = run.checked;
  let lookedAt = Number.NEGATIVE_INFINITY;
  for (;;) {
    if (signal?.aborted) return pages.drop({ kind: "paused" });
    if (!run.dryRun && deps.clock.now() - lookedAt >= SUPERSEDED_CHECK_MS) {
      lookedAt = deps.clock.now();
      const newer = await supersededBy(deps.policySets, run);
      if (newer) return finish(deps, run, { state: "done", supersededBy: pages.drop(newer) });
    }
    const page = await pages.read(at);
    if (page.ids.length === 0) {
      const following = PHASES[PHASES.indexOf(at.phase) + 1];
      endPhase();
      if (!following || (following === "tail" && run.dryRun)) break;
      const cursor = following === "tail" ? idFloor("ls", start.frozenAt - TAIL_MARGIN_MS) : "";
      const moved = { phase: following, cursor };
      await store.advance(run.id, at, moved, 0, []);
      at = moved;
      continue;
    }
    // The next page is read while this one is decided.
    pages.prefetch(page.to);
    const chunk = await pass.chunk(page.leases, at.phase, hooks);
    await store.advance(run.id, at, page.to, chunk.checked, chunk.seen);
    at = page.to;
    checked += chunk.checked;
    await hooks.chunkDone?.({ checked, leases: page.ids.length });
  }
  const out = await finish(deps, run, { state: "done" });
  return out.kind === "finished" ? { ...out, decisions: pass.decisions, phaseMs } : out;
}

/** How often a run looks whether a newer policy set was loaded. */
const SUPERSEDED_CHECK_MS = 250;

interface Page {
  ids: string[];
  to: ReevaluationProgress;
  leases: RecordedLease[];
}

/** Pages of lease ids and their records, the next one read ahead while the current one is decided. */
class Pages {
  private ahead: { from: ReevaluationProgress; page: Promise<Page> } | undefined;

  constructor(
    private readonly store: ReevaluationStore,
    private readonly frozenAt: number,
    /** The ids among these that an earlier phase decided already. */
    private readonly seen: (ids: readonly string[]) => Promise<Set<string>>,
  ) {}

  read(from: ReevaluationProgress): Promise<Page> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead && ahead.from.phase === from.phase && ahead.from.cursor === from.cursor) return ahead.page;
    return this.fetch(from);
  }

  prefetch(from: ReevaluationProgress): void {
    const page = this.fetch(from);
    // Read again if dropped or failed: a failure here surfaces when the page is read.
    page.catch(() => undefined);
    this.ahead = { from, page };
  }

  /** Forgets what was read ahead (the run stops); returns `value`. */
  drop<T>(value: T): T {
    this.ahead = undefined;
    return value;
  }

  private async fetch(from: ReevaluationProgress): Promise<Page> {
    const { ids, to } = await this.store.next(from, REEVALUATION_CHUNK, this.frozenAt);
    // The tail walks every lease issued since shortly before the start, most of them decided by the live phase:
    // their records are not read again (after a burst of issuance, that is most of the live set).
    let wanted = ids;
    if (from.phase === "tail" && ids.length > 0) {
      const decided = await this.seen(ids);
      wanted = ids.filter((id) => !decided.has(id));
    }
    return { ids, to, leases: wanted.length > 0 ? await this.store.leases(wanted) : [] };
  }
}

async function finish(
  deps: ReevaluationDeps,
  run: Reevaluation,
  outcome: { state: "done" | "failed"; problems?: readonly string[]; supersededBy?: string },
): Promise<ReevaluationRun> {
  await deps.reevaluations.complete(run.id, deps.clock.now(), outcome, deps.config.retentionMs);
  const done = await deps.reevaluations.get(run.id);
  return done ? { kind: "finished", run: done } : { kind: "missing" };
}

/** Ends a run that cannot be decided (a candidate set that does not load, a set the store no longer holds). */
export function failReevaluation(deps: ReevaluationDeps, run: Reevaluation, problems: readonly string[]) {
  return finish(deps, run, { state: "failed", problems });
}

/** A newer policy set is loaded: its own run decides everything again, so this one stops. */
async function supersededBy(sets: PolicySetStore, run: Reevaluation): Promise<string | null> {
  const current = await sets.current();
  return current !== null && current !== run.policySet ? current : null;
}

/** One run's pass over its chunks: what it knows of tasks and counts, and its decisions so far. */
class Pass {
  private readonly tasks = new Map<string, RecordedTask | null>();
  /** One instant for the whole pass, so equal requests in different chunks are decided once. */
  private readonly now: number;
  /** Leases issued from here on may be reached again by a later phase. */
  private readonly recent: number;

  constructor(
    private readonly deps: ReevaluationDeps,
    private readonly run: Reevaluation,
    private readonly session: LiveDecisionSession,
    private readonly live: ReadonlyMap<string, number>,
    private readonly frozenAt: number,
  ) {
    this.now = deps.clock.now();
    this.recent = frozenAt - TAIL_MARGIN_MS;
  }

  /** Decisions Cedar made in this pass: one per distinct request. */
  get decisions(): number {
    return this.session.decided;
  }

  /** Decides one chunk, orders what is denied; returns how many leases count as checked, and those to remember. */
  async chunk(read: RecordedLease[], phase: ReevaluationPhase, hooks: ReevaluationHooks) {
    const { deps, run } = this;
    const store = deps.reevaluations;
    const leases = await this.covered(read, phase);
    // A token for /mcp was decided by no policy (it has no intent), so no policy change can revoke it.
    const decidable = leases.filter((l) => DECIDABLE.has(l.state) && l.expiresAt > this.now && !isSession(l));
    await this.loadTasks(decidable.map((l) => l.taskId));
    const asked = decidable.flatMap((lease) => {
      const task = this.tasks.get(lease.taskId);
      // A lease of an ended task is being revoked with it already.
      return task && task.state === "active" ? [{ lease, task }] : [];
    });
    const verdicts = this.session.decide(asked.map(({ lease, task }) => this.requestOf(lease, task)));
    const denials: Denial[] = [];
    for (const [i, verdict] of verdicts.entries()) {
      const lease = asked[i]?.lease;
      if (!lease || !verdict.revoke) continue;
      const settle = lease.state === "active" && deps.providers.get(lease.provider)?.revokesInStore === true;
      denials.push({ lease, policies: verdict.policies, settle });
    }
    await this.order(denials, hooks);
    // Leases a crash interrupted after their denial are no longer decidable: they still count, once.
    const others = leases.filter((l) => !DECIDABLE.has(l.state)).map((l) => l.id);
    const deniedBefore = others.length > 0 ? await store.denied(run.id, others) : new Set<string>();
    const counted = [...asked.map((a) => a.lease), ...leases.filter((l) => deniedBefore.has(l.id))];
    const seen = phase === "tail" ? [] : counted.filter((l) => l.issuedAt >= this.recent).map((l) => l.id);
    return { checked: counted.length, seen };
  }

  /**
   * The leases of a chunk this run is to decide: not those issued under its own set since it started (that set
   * decided them), nor, among recent ones, those an earlier phase decided.
   */
  private async covered(leases: RecordedLease[], phase: ReevaluationPhase): Promise<RecordedLease[]> {
    const { run } = this;
    const own = (l: RecordedLease) => l.issuedAt >= this.frozenAt && l.policySet === run.policySet;
    const kept = leases.filter((l) => !own(l) && (phase !== "tail" || l.policySet !== run.policySet));
    // Pages of the tail come without the leases an earlier phase decided.
    if (phase === "pending" || phase === "tail") return kept;
    const recent = kept.filter((l) => l.issuedAt >= this.recent).map((l) => l.id);
    if (recent.length === 0) return kept;
    const seen = await this.deps.reevaluations.seen(run.id, recent);
    return kept.filter((l) => !seen.has(l.id));
  }

  private async order(denials: readonly Denial[], hooks: ReevaluationHooks): Promise<void> {
    if (denials.length === 0) return;
    const { deps, run } = this;
    const order = { actor: run.requestedBy, at: deps.clock.now(), dryRun: run.dryRun };
    const jobs = await deps.reevaluations.deny(run.id, denials, order);
    if (run.dryRun) return;
    const reason = `re-evaluation ${run.id}`;
    await deps.queue.revoke(jobs.map((leaseId) => ({ leaseId, reason })));
    const queued = new Set(jobs);
    hooks.settled?.(denials.filter((d) => d.settle && !queued.has(d.lease.id)).map((d) => d.lease));
  }

  private requestOf(lease: RecordedLease, task: RecordedTask) {
    const { config } = this.deps;
    const granted = Math.round((lease.expiresAt - lease.issuedAt) / 1000);
    return policyRequestFor(
      {
        agent: lease.agent,
        intent: lease.intent,
        provider: lease.provider,
        target: lease.target,
        // Leases issued before the requested TTL was kept ask with the TTL they were granted.
        ttlSeconds: lease.requestedTtlSeconds ?? granted,
      },
      {
        task,
        chain: this.chainOf(task),
        breakGlass: lease.breakGlass,
        liveLeases: Math.max(0, (this.live.get(lease.agent) ?? 1) - 1),
        environment: config.environment,
        now: this.now,
      },
    );
  }

  /** Agents of the ancestor tasks, nearest first, from the tasks read so far. */
  private chainOf(task: RecordedTask): string[] {
    const chain: string[] = [];
    let parentId = task.parentId;
    while (parentId !== null && chain.length <= this.deps.config.maxDelegationDepth) {
      const parent = this.tasks.get(parentId);
      if (!parent) break;
      chain.push(parent.agent);
      parentId = parent.parentId;
    }
    return chain;
  }

  /** Reads the tasks not read yet, and their ancestors, a level per round trip. */
  private async loadTasks(taskIds: readonly string[]): Promise<void> {
    let wanted = [...new Set(taskIds)].filter((id) => !this.tasks.has(id));
    for (let depth = 0; wanted.length > 0 && depth <= this.deps.config.maxDelegationDepth + 1; depth++) {
      const found = await this.deps.reevaluations.tasks(wanted);
      for (const id of wanted) this.tasks.set(id, null);
      for (const task of found) this.tasks.set(task.id, task);
      wanted = [...new Set(found.map((t) => t.parentId))].filter(
        (id): id is string => id !== null && !this.tasks.has(id),
      );
    }
  }
}
