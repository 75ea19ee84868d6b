import { startRedisServer } from "@leash/devstack";
import type { TestProject } from "vitest/node";
import "./provided-context.js";

/** One private redis-server for the run; tests isolate themselves with a fresh key prefix each. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
