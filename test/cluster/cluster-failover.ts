import { waitFor } from "@leash/devstack";
import { type ClusterNode, clusterNodes, clusterStateOk, primaryOfSlot } from "./cluster-nodes.js";
import type { LocalCluster } from "./redis-topologies.js";

export interface PrimaryKill {
  /** `host:port` of the primary killed, and of the replica promoted in its place. */
  killed: string;
  promoted: string;
  /** When the SIGKILL was sent, epoch ms. */
  killedAt: number;
  /** From the SIGKILL until every surviving node agreed on the new primary and reported `cluster_state:ok`. */
  failoverMs: number;
}

/** The primary serving `slot` as the first reachable node sees it. */
async function currentPrimary(cluster: LocalCluster, slot: number): Promise<ClusterNode> {
  for (const node of cluster.nodes) {
    const view = await clusterNodes(node.port).catch(() => undefined);
    const primary = view && primaryOfSlot(view, slot);
    if (primary) return primary;
  }
  throw new Error(`no reachable node names a primary for slot ${slot}`);
}

/** The new primary once every surviving node names the same one (not `killed`) and reports ok; else undefined. */
async function promotedEverywhere(
  survivors: number[],
  slot: number,
  killed: string,
): Promise<string | undefined> {
  const views = await Promise.all(survivors.map((port) => clusterNodes(port)));
  const named = new Set(views.map((view) => primaryOfSlot(view, slot)?.address));
  const [address] = named;
  if (named.size !== 1 || address === undefined || address === killed) return undefined;
  const ok = await Promise.all(survivors.map(clusterStateOk));
  return ok.every(Boolean) ? address : undefined;
}

/**
 * `kill -9`s the primary serving `slot`, as a crash would, and resolves once a replica has taken over its slots
 * and the cluster reports `cluster_state:ok` on every surviving node. The killed node stays down (`stop()` still
 * cleans it up).
 */
export async function killPrimaryOfSlot(
  cluster: LocalCluster,
  slot: number,
  timeoutMs = 20_000,
): Promise<PrimaryKill> {
  const victim = await currentPrimary(cluster, slot);
  const server = cluster.servers.get(victim.port);
  if (!server?.pid)
    throw new Error(`the primary of slot ${slot} (${victim.address}) is not a running local node`);
  const survivors = [...cluster.servers.values()]
    .filter((s) => s !== server && s.pid !== undefined)
    .map((s) => s.port);
  const killedAt = Date.now();
  await server.kill();
  const promoted = await waitFor(() => promotedEverywhere(survivors, slot, victim.address), {
    timeoutMs,
    intervalMs: 25,
    what: `a replica to take over slot ${slot} from ${victim.address} and the cluster to be ok`,
  });
  return { killed: victim.address, promoted, killedAt, failoverMs: Date.now() - killedAt };
}
