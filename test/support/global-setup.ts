import { startRedisServer } from "@leash/devstack";
import type { TestProject } from "vitest/node";
import { startLocalCluster } from "../cluster/redis-topologies.js";
import "./provided-context.js";

/**
 * One private redis-server for the run; tests isolate themselves with a fresh key prefix each. The `cluster`
 * project gets a Redis Cluster of 3 primaries with a replica each instead (`redisTarget`; `redisUrl` is one of its
 * nodes), on which the stacks run with 12 shards (vitest.config.ts).
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (project.name === "cluster") {
    const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1 });
    const first = cluster.nodes[0];
    project.provide("redisUrl", `redis://${first?.host}:${first?.port}`);
    project.provide("redisTarget", cluster.target);
    return () => cluster.stop();
  }
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  project.provide("redisTarget", { kind: "single", url: redis.url });
  return () => redis.stop();
}
