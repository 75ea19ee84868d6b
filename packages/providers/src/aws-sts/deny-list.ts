import { LeashError } from "@leash/core";
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

  constructor(
    private readonly iam: IamCalls,
    private readonly options: DenyListOptions,
  ) {}

  /**
   * Denies one session. Returns the instant (epoch seconds) of a cut when the budget left no other way: every
   * session of the role issued before it is dead too. Idempotent: the same entry is the same policy.
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
    await this.prune(roleName, signal);
    if ((await put()) !== "limit") return undefined;
    const cutSec = await this.cut(roleName, Math.floor(this.options.now() / 1000), signal);
    // STS reports whole seconds: a session whose issue second is before the cut's was issued before it.
    if (entry.issuedSec < cutSec) return cutSec;
    if ((await put()) === "limit") {
      throw new LeashError(
        "provider_unavailable",
        `aws-sts: role ${roleName} has no room for the deny entry of session ${entry.sessionName}, even after a cut`,
        { retry: true },
      );
    }
    return cutSec;
  }

  /**
   * Denies every session of the role issued before `beforeSec`, unless a later cut is already in place; returns
   * the instant in force. The cut takes the reserved room when the budget is full, then drops the entries it
   * makes redundant.
   */
  async cut(roleName: string, beforeSec: number, signal: AbortSignal): Promise<number> {
    const existing = parseCutDocument((await this.iam.get(roleName, CUT_POLICY, signal)) ?? "");
    if (existing !== undefined && existing >= beforeSec) return existing;
    const put = () => this.iam.put(roleName, CUT_POLICY, cutDocument(beforeSec), signal);
    let placed = await put();
    if (placed === "limit") {
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
    if (placed === "no_role") return beforeSec;
    // From now on the cut policy itself holds the room for later cuts (same name, same size).
    this.reserved.add(roleName);
    await this.iam.delete(roleName, RESERVE_POLICY, signal);
    await this.prune(roleName, signal, { cutSec: beforeSec });
    return beforeSec;
  }

  /** Removes entries whose credentials have expired by themselves, and entries a cut already covers. */
  async prune(
    roleName: string,
    signal: AbortSignal,
    at: { now?: number; cutSec?: number } = {},
  ): Promise<void> {
    const names = await this.iam.list(roleName, signal);
    let cutSec = at.cutSec;
    if (cutSec === undefined && names.includes(CUT_POLICY)) {
      cutSec = parseCutDocument((await this.iam.get(roleName, CUT_POLICY, signal)) ?? "");
    }
    const now = at.now ?? this.options.now();
    const doomed = names.filter((name) => {
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
  }

  /** Once per role and process: make sure a cut will fit, before entries can fill the budget. */
  private async ensureReserve(roleName: string, signal: AbortSignal): Promise<void> {
    if (this.reserved.has(roleName)) return;
    const names = await this.iam.list(roleName, signal);
    if (!names.includes(CUT_POLICY) && !names.includes(RESERVE_POLICY)) {
      // A full role ("limit") keeps going without a reserve: the cut then relies on pruning.
      await this.iam.put(roleName, RESERVE_POLICY, reserveDocument(), signal);
    }
    this.reserved.add(roleName);
  }
}
