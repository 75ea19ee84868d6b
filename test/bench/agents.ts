import type { BenchStack } from "./stack.js";
import type { Workload } from "./workload.js";

export interface BenchAgent {
  sub: string;
  token: string;
  taskId: string;
}

export type Provider = "leash-jwt" | "aws-sts" | "vault";
export const PROVIDERS: readonly Provider[] = ["leash-jwt", "aws-sts", "vault"];

/** `count` agents, each with a workload token and one long task allowed to read docs and secrets. */
export async function createAgents(
  stack: BenchStack,
  orchestrator: string,
  count: number,
): Promise<BenchAgent[]> {
  const agents: BenchAgent[] = [];
  for (let i = 0; i < count; i += 32) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(32, count - i) }, async (_, j) => {
        const sub = `spiffe://dev.local/agent/bench-${i + j}`;
        const task = await stack.post("/v1/tasks", orchestrator, {
          agent: sub,
          ceiling: [
            { action: "read", resource: "docs/*" },
            { action: "read", resource: "secret/*" },
          ],
          ttl_seconds: 86_400,
        });
        return { sub, token: await stack.issuer.mint({ sub, ttlSeconds: 86_400 }), taskId: task.id ?? "" };
      }),
    );
    agents.push(...batch);
  }
  return agents;
}

/** The leases these agents ask for, in turn: every request names a fresh resource (see workload.ts). */
export function workloadFor(agents: readonly BenchAgent[], provider: Provider, ttlSeconds = 600): Workload {
  if (agents.length === 0) throw new Error("no agents");
  return {
    path: "/v1/leases",
    provider,
    ttlSeconds,
    agents: agents.map(({ token, taskId }) => ({ token, taskId })),
  };
}
