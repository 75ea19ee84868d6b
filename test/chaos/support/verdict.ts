import { TIMINGS } from "./cluster.js";
import type { Credential } from "./credentials.js";
import type { Journal } from "./journal.js";

/**
 * A stretch of time a fault was in force, and how long its effects may outlast it (`recoveryMs`: a job lock to
 * lapse, a client to reconnect, a backoff step to run out). A credential whose lease ended at `end`, before the
 * fault's effects were over, may stop later by `allowance(end)`: by default the part of the fault still to come
 * plus the recovery.
 */
export interface Disruption {
  what: string;
  from: number;
  to: number;
  recoveryMs: number;
  allowance?: (end: number) => number;
}

function allowanceOf(d: Disruption, end: number): number {
  return d.allowance ? d.allowance(end) : Math.max(0, d.to - Math.max(d.from, end)) + d.recoveryMs;
}

export interface PhaseWindow {
  name: string;
  fault: string;
  bound: string;
  from: number;
  to: number;
}

export interface LeaseRecord {
  lease_id: string;
  task_id: string;
  agent: string;
  state: string;
  expires_at: string;
}

/**
 * DESIGN.md §1: a credential stops working within one second of its lease's end at p99 under normal load
 * (P99_BOUND_MS, asserted over a fault-free phase); no single credential may take more than BASE_BOUND_MS when
 * nothing else is wrong (on two shared cores, a scheduling hiccup costs a few hundred milliseconds).
 */
export const P99_BOUND_MS = 1_000;
const BASE_BOUND_MS = 2_000;
/** A credential minted under a lease that never became active is reclaimed by the reconciler after its grace. */
const ORPHAN_DELAY_MS = TIMINGS.PENDING_GRACE_MS + TIMINGS.RECONCILE_INTERVAL_MS;

export interface Judged {
  phase: string;
  credential: Credential;
  /** Null when Leash has no record of the lease (a lost record). */
  end: number | null;
  deadline: number | null;
  lateness: number | null;
  verdict: "on_time" | "late" | "alive" | "lost";
}

/**
 * The lease's end is the earliest of its expiry as Leash stated it and the acknowledged orders that cover it. A
 * credential the agent never received (the API died between mint and activation, or the issue failed after the
 * mint) is the reconciler's to reclaim, so its obligation starts no earlier than its mint plus the grace.
 */
export function judge(
  credentials: readonly Credential[],
  records: ReadonlyMap<string, LeaseRecord | null>,
  journal: Journal,
  phases: readonly PhaseWindow[],
  disruptions: readonly Disruption[],
  aliveOutside: ReadonlySet<string>,
): Judged[] {
  return credentials.map((c) => {
    const phase = phases.find((p) => c.mintedAt >= p.from && c.mintedAt < p.to)?.name ?? "(between phases)";
    const record = records.get(c.leaseId) ?? null;
    const heldByAgent = c.kind !== "vault-reader";
    const alive = c.alive || (heldByAgent && aliveOutside.has(c.leaseId));
    if (!record) return { phase, credential: c, end: null, deadline: null, lateness: null, verdict: "lost" };
    const stated = journal.delivered.get(c.leaseId)?.expiresAt ?? Date.parse(record.expires_at);
    const ordered = journal.orderedEnd(c.leaseId, record.task_id, record.agent);
    const end = Math.min(stated, ordered ?? Number.POSITIVE_INFINITY);
    const until = c.stoppedAt ?? Date.now();
    const deadlineFrom = (e: number) => {
      const obligation = c.delivered ? e : Math.max(e, c.mintedAt + ORPHAN_DELAY_MS);
      const allowance = disruptions
        .filter((d) => d.from <= until && d.to + d.recoveryMs >= obligation)
        .reduce((sum, d) => sum + allowanceOf(d, obligation), BASE_BOUND_MS);
      return obligation + allowance;
    };
    // Whichever end actually applied, the credential must meet the bound that follows from it.
    const candidates = [end, ...journal.possibleEnds(c.leaseId, record.agent).filter((e) => e < end)];
    const deadline = Math.max(...candidates.map(deadlineFrom));
    const lateness = c.stoppedAt === null ? null : Math.max(0, c.stoppedAt - end);
    const verdict = alive ? "alive" : c.stoppedAt !== null && c.stoppedAt <= deadline ? "on_time" : "late";
    return { phase, credential: c, end, deadline, lateness, verdict };
  });
}

export interface Row {
  phase: string;
  fault: string;
  bound: string;
  issued: number;
  /** Issued but never received by an agent: minted before a crash or a failed activation, left to the reconciler. */
  undelivered: number;
  onTime: number;
  late: number;
  /** Worst lateness (stop - lease end) among late credentials, ms. */
  worstLate: number;
  /** Worst lateness among all credentials, ms: how close the run came to its bounds. */
  worstLateness: number;
  /** 99th percentile of lateness (stop - lease end, 0 when early), ms. */
  p99Lateness: number;
  alive: number;
  lost: number;
}

export function summarise(judged: readonly Judged[], phases: readonly PhaseWindow[]): Row[] {
  const row = (phase: string, fault: string, bound: string, items: readonly Judged[]): Row => ({
    phase,
    fault,
    bound,
    issued: items.length,
    undelivered: items.filter((j) => !j.credential.delivered).length,
    onTime: items.filter((j) => j.verdict === "on_time").length,
    late: items.filter((j) => j.verdict === "late").length,
    worstLate: Math.max(0, ...items.filter((j) => j.verdict === "late").map((j) => j.lateness ?? 0)),
    worstLateness: Math.max(0, ...items.map((j) => j.lateness ?? 0)),
    p99Lateness: percentile(
      items.map((j) => j.lateness ?? 0),
      0.99,
    ),
    alive: items.filter((j) => j.verdict === "alive").length,
    lost: new Set(items.filter((j) => j.verdict === "lost").map((j) => j.credential.leaseId)).size,
  });
  const rows = phases.map((p) =>
    row(
      p.name,
      p.fault,
      p.bound,
      judged.filter((j) => j.phase === p.name),
    ),
  );
  const stray = judged.filter((j) => !phases.some((p) => p.name === j.phase));
  if (stray.length > 0) rows.push(row("(between phases)", "-", "lease end + 1 s", stray));
  rows.push(row("total", "", "", judged));
  return rows;
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
