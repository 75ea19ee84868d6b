import type { Shot } from "./load.js";
import type { BenchStack } from "./stack.js";

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

let sequence = 0;

/** The request each simulated agent sends: a fresh resource each time so nothing is replayed. */
export function shotFor(agents: readonly BenchAgent[], provider: Provider, ttlSeconds = 600) {
  return (client: number): Shot => {
    const agent = agents[client % agents.length];
    if (!agent) throw new Error("no agents");
    const n = sequence++;
    const body =
      provider === "vault"
        ? { target: "kv-reader", intent: { action: "read", resource: `secret/${n}` } }
        : provider === "aws-sts"
          ? { target: "docs-reader", intent: { action: "read", resource: `docs/${n}` } }
          : { intent: { action: "read", resource: `docs/${n}` } };
    return {
      path: "/v1/leases",
      token: agent.token,
      body: { task_id: agent.taskId, provider, ttl_seconds: ttlSeconds, ...body },
    };
  };
}
