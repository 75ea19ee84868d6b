/**
 * What a store over several shards must do elsewhere (a pool's home shard, shard 0) when a shard's own scripts
 * change a lease: a script touches one slot, so the shard's store tells these after its step (sharded/index.ts).
 * Each is recoverable if it fails (sharded/pools.ts re-reads a full pool), so a failure is swallowed where told.
 */
export interface CrossShardHooks {
  /** Receipts (outbox entries, JSON) the audit log just chained, each told once. */
  receiptsChained(receipts: readonly string[]): Promise<void>;
  /** A lease holding places in these pools on their home shards was aborted. */
  leaseAborted(leaseId: string, pools: readonly string[]): Promise<void>;
  /**
   * Ended leases the retention sweep removed, with the name of their Idempotency-Key in this shard without the
   * shard's prefix (the same under every prefix).
   */
  leasesSwept(swept: readonly { leaseId: string; idem: string }[]): Promise<void>;
}
