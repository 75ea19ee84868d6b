import type { IdempotencyRecord } from "@leash/core";
import type { RedisClient } from "../connection.js";
import { digest, type Keyspace } from "../keys.js";
import { IDEMPOTENCY_TTL_MS, idempotencyRecordOf } from "../lease-store.js";
import { homeShard } from "./slots.js";

/**
 * With several shards, an agent's Idempotency-Key could be used at the same moment for tasks of two shards, and
 * each shard's script sees only its own keys. So the first use of a key is claimed on the key's home shard (fixed
 * by the key, among the map's `homes`), in the very key that shard's own scripts set (`<lease id> <body hash>`): a
 * request for a task of another shard claims it with `SET NX` before its write, and one of the home shard claims it
 * in its script. Whichever comes second gets the first's record, as with one shard.
 */
export class IdempotencyClaims {
  constructor(
    private readonly redis: RedisClient,
    /** The home shards' keyspaces (the first `homes` shards). */
    private readonly homes: readonly Keyspace[],
  ) {}

  /** The shard whose own scripts keep this key's claim. */
  homeOf(agent: string, key: string): number {
    return homeShard(digest(`${agent}\n${key}`), this.homes.length);
  }

  private claimKey(agent: string, key: string): string {
    const home = this.homes[this.homeOf(agent, key)];
    if (!home) throw new Error("a store over several shards needs at least one home shard");
    return home.idempotency(agent, key);
  }

  /** Null when the key is now claimed for this lease; else the record of the request that used it first. */
  async claim(
    agent: string,
    key: string,
    leaseId: string,
    bodyHash: string,
  ): Promise<IdempotencyRecord | null> {
    const name = this.claimKey(agent, key);
    const claimed = await this.redis.set(name, `${leaseId} ${bodyHash}`, "PX", IDEMPOTENCY_TTL_MS, "NX");
    if (claimed === "OK") return null;
    const earlier = await this.redis.get(name);
    // Released between the two reads: the key is free again, so try once more.
    return earlier === null ? await this.claim(agent, key, leaseId, bodyHash) : idempotencyRecordOf(earlier);
  }

  /**
   * Frees the claims of leases the retention removed (their key in their own shard went with them): the claim has
   * the same name under its home shard's prefix, and its home follows from the name's digest.
   */
  async releaseSwept(swept: readonly { leaseId: string; idem: string }[]): Promise<void> {
    const claims = swept.flatMap(({ leaseId, idem }) => {
      const home = this.homes[homeShard(idem.slice(idem.lastIndexOf(":") + 1), this.homes.length)];
      return home ? [{ leaseId, name: `${home.prefix}${idem}` }] : [];
    });
    if (claims.length === 0) return;
    const values = await Promise.all(claims.map((c) => this.redis.get(c.name)));
    const mine = claims.filter((c, i) => values[i]?.startsWith(`${c.leaseId} `));
    // One DEL each: the claims live on different shards, and a Cluster refuses a command or pipeline across them.
    await Promise.all(mine.map((c) => this.redis.del(c.name)));
  }

  /** Frees the key when the lease it was claimed for was not written (a refusal counts nothing, keys included). */
  async release(agent: string, key: string, leaseId: string): Promise<void> {
    const name = this.claimKey(agent, key);
    // Only this lease's claim can be there: every other writer sets the key only where it is absent.
    if ((await this.redis.get(name))?.startsWith(`${leaseId} `)) await this.redis.del(name);
  }
}
