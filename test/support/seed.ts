import { type Lease, newId, taskShard, withShard } from "@leash/core";
import type { Store } from "@leash/store";

/** Writes `count` active leash-jwt leases of one task straight into the store, as the API would have. */
export async function seedActiveLeases(
  store: Store,
  taskId: string,
  count: number,
  agentOf: (i: number) => string,
  ttlMs = 600_000,
) {
  // Each lease is pending from its write-ahead to its activation: keep that well under a short reconciler grace
  // (tests use 1 s) with a ready connection and small batches, or the reconciler aborts leases still being seeded.
  // A first read resolves only once the connection is up.
  await store.leases.liveCount({});
  // A lease lives in its task's shard, and its id says which.
  const task = await store.tasks.get(taskId);
  const shard = task ? taskShard(task) : 0;
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, async (_, j) => {
        const issuedAt = Date.now();
        const lease: Lease = {
          id: withShard(newId("ls", issuedAt), shard),
          taskId,
          agent: agentOf(i + j),
          provider: "leash-jwt",
          target: null,
          intent: { action: "read", resource: "docs/a" },
          scope: [],
          state: "pending",
          issuedAt,
          expiresAt: issuedAt + ttlMs,
          revokedAt: null,
          revokeReason: null,
          handle: null,
          providerExpiresAt: null,
          breakGlass: false,
        };
        await store.leases.createPending(lease);
        await store.leases.activate(lease.id, {
          handle: {},
          providerExpiresAt: lease.expiresAt,
          scope: ["read:docs/a"],
        });
      }),
    );
  }
}
