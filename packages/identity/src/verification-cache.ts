import { createHash } from "node:crypto";
import type { WorkloadIdentity } from "@leash/core";

interface Entry {
  identity: WorkloadIdentity;
  /** Epoch ms after which the entry is never returned. */
  until: number;
}

/**
 * Bounded LRU of verified tokens, keyed by SHA-256 of the token so the token itself is never held. An entry is
 * returned only strictly before its `until`, which the verifier sets no later than the token's `exp`.
 */
export class VerificationCache {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  static keyOf(token: string): string {
    return createHash("sha256").update(token).digest("base64url");
  }

  get(key: string, now: number): WorkloadIdentity | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.until) return undefined;
    // Re-inserting moves the entry to the most recently used end of the Map's insertion order.
    this.#entries.set(key, entry);
    return entry.identity;
  }

  set(key: string, identity: WorkloadIdentity, until: number): void {
    if (this.#capacity <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { identity, until });
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
