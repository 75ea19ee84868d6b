import { sleep as coreSleep, LeashError } from "@leash/core";
import {
  CUT_POLICY,
  cutDocument,
  type DenyEntry,
  entryDocument,
  entryName,
  parseCutDocument,
  parseEntryName,
  RESERVE_POLICY,
  reserveDocument,
} from "./deny-policy.js";
import type { IamCalls } from "./iam-calls.js";

export interface DenyListOptions {
  now: () => number;
  /** How long past its expiry an entry is kept, for the clock difference between Leash and AWS. */
  skewMs: number;
  /** Waits `ms` (tests move their clock instead). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

async function pause(
  ms: number,
  signal: AbortSignal,
  sleep: DenyListOptions["sleep"] = coreSleep,
): Promise<void> {
  if (ms > 0) await sleep(ms, signal);
}

/** A shared piece of work, awaited no longer than this caller's own signal allows. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined); // others may await it; this caller must not leave a rejection unhandled
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Deletions run a few at a time: IAM's control plane throttles bursts. */
const DELETE_CONCURRENCY = 4;

/**
 * Early revocation of STS sessions as inline deny policies on their role (IAM User Guide, "Revoking IAM role
 * temporary security credentials"). One policy per revoked session, so concurrent workers never read-modify-
 * write a shared document; the 10,240-character budget of a role is managed by pruning, then by a cut.
 */
export class DenyList {
  private readonly reserved = new Set<string>();
  /** Per role, the latest cut instant this process has placed or read (epoch seconds). */
  private readonly highestCut = new Map<string, number>();
  /** Per role, the room-making in progress. */
  private readonly making = new Map<string, Promise<number | undefined>>();
  /** Per role, the deletions after a cut in progress. */
  private readonly tidying = new Map<string, Promise<void>>();

  constructor(
    private readonly iam: IamCalls,
    private readonly options: DenyListOptions,
  ) {}

  /**
   * Denies one session. Returns the instant (epoch seconds) of a cut when the budget left no other way: every
   * session of the role issued before it is dead too. Idempotent: the same entry is the same policy.
   * With the budget full, the session is dead within four IAM calls (put, list, read the cut, put the cut); what
   * the cut makes redundant is deleted after it.
   */
  async deny(
    roleName: string,
    roleId: string,
    entry: DenyEntry,
    signal: AbortSignal,
  ): Promise<number | undefined> {
    await this.ensureReserve(roleName, signal);
    const put = () =>
      this.iam.put(roleName, entryName(entry), entryDocument(roleId, entry.sessionName), signal);
    if ((await put()) !== "limit") return undefined;
    const cutSec = await abortable(this.makeRoom(roleName, signal), signal);
    // STS reports whole seconds: a session whose issue second is before the cut's was issued before it.
    if (cutSec !== undefined && entry.issuedSec < cutSec) return cutSec;
    if ((await put()) !== "limit") return cutSec;
    // Still full, and the session was issued in or after the cut's second: cut again just past that second
    // rather than wait for deletions to free room (a slow IAM deletes slowly).
    const after = entry.issuedSec + 1;
    await pause(after * 1000 - this.options.now(), signal, this.options.sleep);
    return this.cut(roleName, after, signal);
  }

  /**
   * Frees room on a full role: prunes, and cuts at the current second when nothing could be pruned. Returns the
   * cut it placed, if any. One at a time per role: concurrent revocations share it instead of each listing,
   * reading and deleting the same policies, a herd that under a slow IAM would time every one of them out.
   */
  private makeRoom(roleName: string, signal: AbortSignal): Promise<number | undefined> {
    const inflight = this.making.get(roleName);
    if (inflight) return inflight;
    // A cut's deletions are under way: room is coming, and pruning now would only repeat them.
    if (this.tidying.has(roleName)) return Promise.resolve(this.highestCut.get(roleName));
    const work = (async () => {
      const pruned = await this.prune(roleName, signal);
      if (pruned.removed > 0) return undefined;
      return this.cut(roleName, Math.floor(this.options.now() / 1000), signal, pruned);
    })().finally(() => this.making.delete(roleName));
    this.making.set(roleName, work);
    return work;
  }

  /**
   * Denies every session of the role issued before `beforeSec`, unless a later cut is already in place; returns
   * the instant in force, as soon as the cut is placed (in the room its reserve holds); the entries it makes
   * redundant are deleted afterwards in the background (see `idle`).
   */
  async cut(
    roleName: string,
    beforeSec: number,
    signal: AbortSignal,
    /** The cut in place, when the caller has just read it (saves a call on the way to the kill). */
    known?: { cutSec: number | undefined },
  ): Promise<number> {
    const existing = known
      ? known.cutSec
      : parseCutDocument((await this.iam.get(roleName, CUT_POLICY, signal)) ?? "");
    this.raise(roleName, existing);
    if (existing !== undefined && existing >= beforeSec) return existing;
    this.raise(roleName, beforeSec);
    const put = () => this.putCut(roleName, signal);
    // Normally a same-size replacement of the cut policy (or of its 1970 reserve): it always fits, and no room
    // is ever freed first that a concurrent entry could take.
    let placed = await put();
    if (placed === "limit") {
      // A role reserved by an earlier version (`LeashCutReserve`, no cut policy yet): trade that room.
      await this.iam.delete(roleName, RESERVE_POLICY, signal);
      placed = await put();
    }
    if (placed === "limit") {
      await this.prune(roleName, signal);
      placed = await put();
    }
    if (placed === "limit") {
      throw new LeashError(
        "provider_unavailable",
        `aws-sts: role ${roleName} has no room left for a cut (inline policies at the 10,240-character quota)`,
        { retry: true },
      );
    }
    const inForce = Math.max(beforeSec, this.highestCut.get(roleName) ?? 0);
    if (placed === "no_role") return inForce;
    this.reserved.add(roleName);
    this.tidy(roleName, inForce, signal);
    return inForce;
  }

  /**
   * Drops the reserve and the entries a cut covers, after the cut: the sessions are dead already, and under a slow
   * IAM (seconds per call, four deletions at a time) waiting for this would hold every revocation up. One at a
   * time per role; what a failure or an abort leaves behind, the next prune removes.
   */
  private tidy(roleName: string, cutSec: number, signal: AbortSignal): void {
    const previous = this.tidying.get(roleName) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(async () => {
        await this.prune(roleName, signal, { cutSec });
      })
      .catch(() => undefined)
      .finally(() => {
        if (this.tidying.get(roleName) === next) this.tidying.delete(roleName);
      });
    this.tidying.set(roleName, next);
  }

  /** Resolves once the deletions that follow cuts are done. */
  async idle(): Promise<void> {
    await Promise.all(this.tidying.values());
  }

  /**
   * Puts the role's cut at the latest instant this process has asked for, and again if a later one was asked for
   * while the put was in flight: concurrent revocations each cut "now", and the last put to land must not move
   * the cut back and revive the sessions a later cut had ended.
   */
  private async putCut(roleName: string, signal: AbortSignal): Promise<"ok" | "limit" | "no_role"> {
    for (;;) {
      const at = this.highestCut.get(roleName) ?? 0;
      const placed = await this.iam.put(roleName, CUT_POLICY, cutDocument(at), signal);
      if (placed !== "ok" || (this.highestCut.get(roleName) ?? 0) <= at) return placed;
    }
  }

  private raise(roleName: string, cutSec: number | undefined): void {
    if (cutSec !== undefined && cutSec > (this.highestCut.get(roleName) ?? 0)) {
      this.highestCut.set(roleName, cutSec);
    }
  }

  /**
   * Removes entries whose credentials have expired by themselves, and entries a cut already covers. Returns how
   * many it removed and the cut in force (what it read, or what it was given).
   */
  async prune(
    roleName: string,
    signal: AbortSignal,
    at: { now?: number; cutSec?: number } = {},
  ): Promise<{ removed: number; cutSec: number | undefined }> {
    const names = await this.iam.list(roleName, signal);
    let cutSec = at.cutSec;
    if (cutSec === undefined && names.includes(CUT_POLICY)) {
      cutSec = parseCutDocument((await this.iam.get(roleName, CUT_POLICY, signal)) ?? "");
    }
    const now = at.now ?? this.options.now();
    const doomed = names.filter((name) => {
      // An earlier version's separate reserve is redundant once the cut policy exists.
      if (name === RESERVE_POLICY) return names.includes(CUT_POLICY);
      const e = parseEntryName(name);
      if (!e) return false;
      return (
        e.expiresSec * 1000 + this.options.skewMs < now || (cutSec !== undefined && e.issuedSec < cutSec)
      );
    });
    for (let i = 0; i < doomed.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        doomed.slice(i, i + DELETE_CONCURRENCY).map((n) => this.iam.delete(roleName, n, signal)),
      );
    }
    return { removed: doomed.length, cutSec };
  }

  /**
   * Once per role and process: make sure a cut will fit, before entries can fill the budget. The reserve is the cut
   * policy itself at an instant that matches nothing (1970), so every cut replaces it in place.
   */
  private async ensureReserve(roleName: string, signal: AbortSignal): Promise<void> {
    if (this.reserved.has(roleName)) return;
    const names = await this.iam.list(roleName, signal);
    if (!names.includes(CUT_POLICY) && !names.includes(RESERVE_POLICY)) {
      // A full role ("limit") keeps going without a reserve: the cut then relies on pruning.
      await this.iam.put(roleName, CUT_POLICY, reserveDocument(), signal);
    }
    this.reserved.add(roleName);
  }
}
