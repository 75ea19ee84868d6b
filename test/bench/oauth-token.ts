import { createAgents } from "./agents.js";
import { CONFIG } from "./config.js";
import type { LoadResult } from "./generator.js";
import { closedLoop } from "./load.js";
import { startBenchStack } from "./stack.js";
import { median } from "./stats.js";
import type { Workload } from "./workload.js";

/** A resource server the tokens are for; nothing listens there (the token endpoint never calls it). */
const RESOURCE = "https://tools.bench.example/mcp";
const CONCURRENCY = 32;

interface Side {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

export interface TokenEndpointFigure {
  concurrency: number;
  leases: Side;
  token: Side;
}

function fold(runs: readonly LoadResult[]): Side {
  const firstError = runs.find((r) => r.firstError)?.firstError;
  return {
    rate: median(runs.map((r) => r.perSecond)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    ...(firstError ? { firstError } : {}),
  };
}

/**
 * The token endpoint against `POST /v1/leases` on one stack, alternating run by run so machine drift hits both
 * alike: the same agents, tasks and intent (a leash-jwt task token against a token exchange for an access token),
 * so the difference is the OAuth front door (form parsing, the subject token, the resource) and the access token.
 */
export async function tokenEndpointBench(redisUrl: string): Promise<TokenEndpointFigure> {
  const stack = await startBenchStack({ redisUrl });
  try {
    const orchestrator = await stack.issuer.mint({
      sub: "spiffe://dev.local/orchestrator",
      ttlSeconds: 86_400,
    });
    const agents = (await createAgents(stack, orchestrator, CONCURRENCY)).map(({ token, taskId }) => ({
      token,
      taskId,
    }));
    const leases: Workload = { path: "/v1/leases", provider: "leash-jwt", ttlSeconds: 600, agents };
    const token: Workload = { ...leases, path: "/oauth/token", oauthResource: RESOURCE };
    const runs = { leases: [] as LoadResult[], token: [] as LoadResult[] };
    for (let run = 0; run < CONFIG.runs; run++) {
      runs.leases.push(await closedLoop(stack.apis, CONCURRENCY, CONFIG.seconds, leases));
      runs.token.push(await closedLoop(stack.apis, CONCURRENCY, CONFIG.seconds, token));
    }
    return { concurrency: CONCURRENCY, leases: fold(runs.leases), token: fold(runs.token) };
  } finally {
    await stack.stop();
  }
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function tokenEndpointReport(f: TokenEndpointFigure): string {
  const row = (name: string, s: Side) =>
    `| ${name} | ${s.rate.toFixed(0)}/s | ${ms(s.p50)} | ${ms(s.p99)} | ${s.errors}${s.firstError ? ` (${s.firstError})` : ""} |\n`;
  return (
    `\n## OAuth token endpoint (x${f.concurrency}, closed loop, median of ${CONFIG.runs} alternating runs)\n\n` +
    "| request | throughput | p50 | p99 | errors |\n|---|---|---|---|---|\n" +
    row("POST /v1/leases (leash-jwt)", f.leases) +
    row("POST /oauth/token (token exchange)", f.token) +
    `\nThroughput ratio token/leases: ${(f.token.rate / f.leases.rate).toFixed(2)}; ` +
    `p99 ratio: ${(f.token.p99 / f.leases.p99).toFixed(2)}\n`
  );
}
