import type { LivePolicyDecider, PolicySetStore } from "@leash/core";
import { compileSnapshot, liveDecider, PolicyLoadError } from "@leash/policy";

/** A decider for a set, or why there is none. */
export type Compiled = { decider: LivePolicyDecider } | { problems: string[] };

interface Entry {
  compiled: Promise<Compiled>;
  slot: string;
  users: number;
  usedAt: number;
}

/**
 * Compiled policy sets by id, so consecutive runs with one set compile it once (a large set takes seconds).
 * Cedar caches each set under a name it never frees, so a few slot names are reused: at most `SLOTS` sets are
 * held, and one a run is using is never replaced.
 */
export class PolicySetCache {
  private static readonly SLOTS = 4;
  private readonly entries = new Map<string, Entry>();
  private uses = 0;

  constructor(private readonly sets: PolicySetStore) {}

  /** The set's decider for one run; call `release` when the run is over. */
  async acquire(id: string): Promise<Compiled> {
    let entry = this.entries.get(id);
    if (!entry) {
      const slot = this.freeSlot();
      entry = { compiled: this.compile(id, slot), slot, users: 0, usedAt: 0 };
      this.entries.set(id, entry);
    }
    entry.users += 1;
    entry.usedAt = ++this.uses;
    const compiled = await entry.compiled;
    // A set that did not compile is not kept: the store may hold it later (or the problem was passing).
    if ("problems" in compiled && entry.users === 1) this.entries.delete(id);
    return compiled;
  }

  /**
   * Compiles the set `rounds` times and keeps nothing (one Cedar slot of its own): the JIT needs several compiles
   * before Cedar's parsing and validation run at speed (the first reload after a start compiled in 0.7-0.8 s, later
   * ones in 0.2-0.3 s).
   */
  async warm(id: string, rounds: number): Promise<void> {
    const snapshot = await this.sets.get(id);
    if (!snapshot) return;
    for (let round = 0; round < rounds; round++) {
      liveDecider("leash-reevaluation-warm", compileSnapshot(snapshot));
      // Between rounds, whatever else the worker has to do goes first.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  release(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.users = Math.max(0, entry.users - 1);
  }

  private freeSlot(): string {
    const taken = new Set([...this.entries.values()].map((e) => e.slot));
    for (let n = 0; n < PolicySetCache.SLOTS; n++) {
      const slot = `leash-reevaluation-${n}`;
      if (!taken.has(slot)) return slot;
    }
    const idle = [...this.entries]
      .filter(([, e]) => e.users === 0)
      .sort(([, a], [, b]) => a.usedAt - b.usedAt);
    const [evicted] = idle;
    if (!evicted) throw new Error("every policy set slot is in use");
    this.entries.delete(evicted[0]);
    return evicted[1].slot;
  }

  private async compile(id: string, slot: string): Promise<Compiled> {
    const snapshot = await this.sets.get(id);
    if (!snapshot) return { problems: [`policy set ${id} is no longer stored`] };
    try {
      return { decider: liveDecider(slot, compileSnapshot(snapshot)) };
    } catch (error) {
      if (error instanceof PolicyLoadError) return { problems: error.message.split("\n") };
      throw error;
    }
  }
}
