import type { IdempotencyRecord } from "@leash/core";
import type { RedisClient } from "../connection.js";
import type { Keyspace } from "../keys.js";
import { IDEMPOTENCY_TTL_MS, idempotencyRecordOf } from "../lease-store.js";

/**
 * With several shards, an agent's Idempotency-Key could be used at the same moment for tasks of two shards, and
 * each shard's script sees only its own keys. So the first use of a key is claimed on shard 0, in the very key
 * shard 0's own scripts set (`<lease id> <body hash>`): a request for a task of another shard claims it with
 * `SET NX` before its write, and one of shard 0 claims it in its script. Whichever comes second gets the first's
 * record, as with one shard.
 */
export class IdempotencyClaims {
  constructor(
    private readonly redis: RedisClient,
    /** Shard 0's keyspace. */
    private readonly keys: Keyspace,
  ) {}

  /** Null when the key is now claimed for this lease; else the record of the request that used it first. */
  async claim(
    agent: string,
    key: string,
    leaseId: string,
    bodyHash: string,
  ): Promise<IdempotencyRecord | null> {
    const name = this.keys.idempotency(agent, key);
    const claimed = await this.redis.set(name, `${leaseId} ${bodyHash}`, "PX", IDEMPOTENCY_TTL_MS, "NX");
    if (claimed === "OK") return null;
    const earlier = await this.redis.get(name);
    // Released between the two reads: the key is free again, so try once more.
    return earlier === null ? await this.claim(agent, key, leaseId, bodyHash) : idempotencyRecordOf(earlier);
  }

  /**
   * Frees the claims of leases the retention removed (their key in their own shard went with them): the claim
   * has the same name under shard 0's prefix.
   */
  async releaseSwept(swept: readonly { leaseId: string; idem: string }[]): Promise<void> {
    const claims = swept.map(({ leaseId, idem }) => ({ leaseId, name: `${this.keys.prefix}${idem}` }));
    if (claims.length === 0) return;
    const values = await Promise.all(claims.map((c) => this.redis.get(c.name)));
    const mine = claims.filter((c, i) => values[i]?.startsWith(`${c.leaseId} `)).map((c) => c.name);
    if (mine.length > 0) await this.redis.del(...mine);
  }

  /** Frees the key when the lease it was claimed for was not written (a refusal counts nothing, keys included). */
  async release(agent: string, key: string, leaseId: string): Promise<void> {
    const name = this.keys.idempotency(agent, key);
    // Only this lease's claim can be there: every other writer sets the key only where it is absent.
    if ((await this.redis.get(name))?.startsWith(`${leaseId} `)) await this.redis.del(name);
  }
}
