import { isLive, type Lease } from "@leash/core";
import type { Store } from "@leash/store";

export type RevokeKind = "lease" | "task" | "agent";

/** What a revocation would hit now, read from the store before the person confirms. */
export interface Hits {
  /** The live leases the action would revoke. */
  live: Lease[];
  /** False when the object does not exist (an unknown lease or task). */
  found: boolean;
}

/** Cancelling a task ends its sub-tasks too (store/src/lua/end_task.lua), so their leases count. */
async function taskTree(store: Store, root: string): Promise<string[]> {
  const seen = new Set<string>([root]);
  const queue = [root];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const child of await store.tasks.children(id)) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return [...seen];
}

export async function countHits(store: Store, kind: RevokeKind, id: string): Promise<Hits> {
  switch (kind) {
    case "lease": {
      const lease = await store.leases.get(id);
      return { found: lease !== null, live: lease && isLive(lease.state) ? [lease] : [] };
    }
    case "task": {
      if (!(await store.tasks.get(id))) return { found: false, live: [] };
      const live: Lease[] = [];
      for (const taskId of await taskTree(store, id))
        live.push(...(await store.leases.selectLive({ taskId })));
      return { found: true, live };
    }
    case "agent":
      // The same selection a campaign freezes (core startCampaign): with its delegates.
      return { found: true, live: await store.leases.selectLive({ agent: id, includeDelegated: true }) };
  }
}
