import type { Intent } from "../intent.js";
import type { ProviderName } from "../lease.js";
import type { PolicyRequest } from "../policy.js";
import type { Task } from "../task.js";
import { spiffeParts } from "./spiffe.js";

/** What an agent asked for, as issuance saw it and the lease records it. */
export interface AskedFor {
  agent: string;
  intent: Intent;
  provider: ProviderName;
  target: string | null;
  /** The TTL the policies saw: the one requested, or the default when none was. */
  ttlSeconds: number;
}

/** Everything else a policy sees, as it is at the moment of the decision. */
export interface DecisionContext {
  task: Pick<Task, "id" | "labels" | "deadline" | "depth">;
  /** Agents of the ancestor tasks, nearest first. */
  chain: readonly string[];
  /** The intent needs the task's break-glass grant. */
  breakGlass: boolean;
  /** The agent's other live leases. */
  liveLeases: number;
  environment: string;
  now: number;
}

/**
 * The request the policies decide, the same for issuance and for the re-decision of a live lease (which passes
 * what the lease recorded and the task, time and counts of now).
 */
export function policyRequestFor(asked: AskedFor, ctx: DecisionContext): PolicyRequest {
  const spiffe = spiffeParts(asked.agent);
  return {
    agent: {
      id: asked.agent,
      trustDomain: spiffe?.trustDomain ?? null,
      path: spiffe?.path ?? null,
      labels: {},
    },
    intent: asked.intent,
    task: {
      id: ctx.task.id,
      labels: ctx.task.labels,
      remainingSeconds: Math.floor((ctx.task.deadline - ctx.now) / 1000),
      depth: ctx.task.depth,
      chain: ctx.chain,
      breakGlass: ctx.breakGlass,
    },
    provider: asked.provider,
    target: asked.target,
    ttlSeconds: asked.ttlSeconds,
    environment: ctx.environment,
    now: new Date(ctx.now),
    exposure: { liveLeases: ctx.liveLeases },
  };
}
