import type { AuditSink } from "../audit.js";
import { type Clock, sleepOn } from "../clock.js";
import { LeashError } from "../errors.js";
import { idFloor, newId } from "../ids.js";
import type { Lease, ProviderName } from "../lease.js";
import type { RevocationQueue } from "../ports.js";
import type { CredentialProvider } from "../provider.js";
import type {
  Denial,
  LiveDecisionSession,
  LivePolicyDecider,
  PolicySetStore,
  Reevaluation,
  ReevaluationProgress,
  ReevaluationStore,
  ReevaluationTrigger,
} from "../reevaluation.js";
import type { Task } from "../task.js";
import { policyRequestFor } from "./policy-request.js";

export interface ReevaluationQueue extends RevocationQueue {
  startReevaluation(id: string): Promise<void>;
}

export interface ReevaluationDeps {
  leases: { getMany(ids: readonly string[]): Promise<Lease[]> };
  tasks: { getMany(ids: readonly string[]): Promise<Task[]> };
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
  chunkDone?(progress: { checked: number; denied: number; leases: number }): Promise<void>;
  /** Leases this run ended at once (their credentials died in the store). */
  settled?(leases: readonly Lease[]): void;
}

export type ReevaluationRun =
  | { kind: "missing" }
  | { kind: "paused" }
  | { kind: "finished"; run: Reevaluation };

/** Lease ids per store round trip: small enough that each Redis call stays short while issuance goes on. */
export const REEVALUATION_CHUNK = 500;
/** The tail starts this long before the freeze: a request decided before it may write its lease ahead after. */
const TAIL_MARGIN_MS = 10_000;
const DECIDABLE = new Set(["pending", "active"]);

/**
 * Decides every lease the run covers again, chunk by chunk, saving its cursor after each: first the leases live at
 * its start (frozen), then (unless a dry run) those issued while it runs under an earlier policy set. A resumed run
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
  const start = await deps.reevaluations.begin(run.id, deps.clock.now());
  const pass = new Pass(deps, run, decider.session(), await deps.reevaluations.liveCounts());
  let at: ReevaluationProgress = { phase: start.phase, cursor: start.cursor };
  for (;;) {
    if (signal?.aborted) return { kind: "paused" };
    const newer = run.dryRun ? null : await supersededBy(deps.policySets, run);
    if (newer) return finish(deps, run, { state: "done", supersededBy: newer });
    const ids = await deps.reevaluations.next(run.id, at, REEVALUATION_CHUNK);
    const last = ids.at(-1);
    if (last === undefined) {
      if (at.phase === "tail" || run.dryRun) break;
      const tail = { phase: "tail" as const, cursor: idFloor("ls", start.frozenAt - TAIL_MARGIN_MS) };
      await deps.reevaluations.advance(run.id, at, tail, 0);
      at = tail;
      continue;
    }
    const checked = await pass.chunk(ids, at.phase, hooks);
    const to = { phase: at.phase, cursor: last };
    await deps.reevaluations.advance(run.id, at, to, checked);
    at = to;
    const current = await deps.reevaluations.get(run.id);
    await hooks.chunkDone?.({
      checked: current?.checked ?? 0,
      denied: current?.denied ?? 0,
      leases: ids.length,
    });
  }
  return finish(deps, run, { state: "done" });
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
  private readonly tasks = new Map<string, Task | null>();
  /** One instant for the whole pass, so equal requests in different chunks are decided once. */
  private readonly now: number;

  constructor(
    private readonly deps: ReevaluationDeps,
    private readonly run: Reevaluation,
    private readonly session: LiveDecisionSession,
    private readonly live: ReadonlyMap<string, number>,
  ) {
    this.now = deps.clock.now();
  }

  /** Decides one chunk, orders what is denied, and returns how many leases of it count as checked. */
  async chunk(ids: readonly string[], phase: ReevaluationProgress["phase"], hooks: ReevaluationHooks) {
    const { deps, run } = this;
    let leases = await deps.leases.getMany(ids);
    if (phase === "tail") {
      // Only leases issued under another set; the frozen ones were decided in the first phase.
      const frozen = await deps.reevaluations.frozen(run.id, ids);
      leases = leases.filter((l) => !frozen.has(l.id) && l.policySet !== run.policySet);
    }
    const decidable = leases.filter((l) => DECIDABLE.has(l.state));
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
    const deniedBefore = others.length > 0 ? await deps.reevaluations.denied(run.id, others) : new Set();
    return asked.length + deniedBefore.size;
  }

  private async order(denials: readonly Denial[], hooks: ReevaluationHooks): Promise<void> {
    if (denials.length === 0) return;
    const { deps, run } = this;
    const order = { actor: run.requestedBy, at: deps.clock.now() };
    const jobs = await deps.reevaluations.deny(run.id, denials, order);
    if (run.dryRun) return;
    const reason = `re-evaluation ${run.id}`;
    await deps.queue.revoke(jobs.map((leaseId) => ({ leaseId, reason })));
    const queued = new Set(jobs);
    hooks.settled?.(denials.filter((d) => d.settle && !queued.has(d.lease.id)).map((d) => d.lease));
  }

  private requestOf(lease: Lease, task: Task) {
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
  private chainOf(task: Task): string[] {
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
      const found = await this.deps.tasks.getMany(wanted);
      for (const id of wanted) this.tasks.set(id, null);
      for (const task of found) this.tasks.set(task.id, task);
      wanted = [...new Set(found.map((t) => t.parentId))].filter(
        (id): id is string => id !== null && !this.tasks.has(id),
      );
    }
  }
}
