import { LeashError } from "../../errors.js";
import { newId } from "../../ids.js";
import type { Lease } from "../../lease.js";
import { isSession } from "../../oauth/session.js";
import { type PolicyDecision, type PolicyRequest, policyDecisionDetail } from "../../policy.js";
import { taskShard, withShard } from "../../shards.js";
import { leaseTtlSeconds } from "../../ttl.js";
import { bodyHash } from "../body-hash.js";
import { type AskedFor, policyRequestFor } from "../policy-request.js";
import { stepUp } from "../step-up.js";
import { deny } from "./audit.js";
import type { AwaitingApproval, Decided, Verified } from "./context.js";
import { readAgain } from "./load.js";

/**
 * The policy set decides (every decision audited with its request), a permit that requires it waits for a
 * person (step-up), and the TTL is capped; the result is the lease to write ahead.
 */
export async function decide(ctx: Verified): Promise<Decided | AwaitingApproval> {
  const { decision, policyDetail } = await consultPolicy(ctx);
  // A person is asked only about a task as it is, not as this process remembers it.
  if (decision?.approvalRequired && ctx.cached)
    readAgain(ctx, "an approval is asked on task records as read");
  // A lease lives in its task tree's shard, and its id says which.
  const leaseId = withShard(newId("ls", ctx.now), taskShard(ctx.task));
  const requestHash = bodyHash(ctx.request);
  const step = await stepUp(
    ctx.deps,
    ctx.caller,
    ctx.request,
    requestHash,
    decision,
    ctx.now,
    leaseId,
    policyDetail,
    ctx.options.idempotencyKey,
  );
  if (step.kind === "wait") return { kind: "approval", approval: step.approval };
  const lease = pendingLease(ctx, leaseId, ttlSeconds(ctx, decision), decision?.policySet);
  const decided = { ...ctx, decision, policyDetail, approvalId: step.approvalId, requestHash, lease };
  return step.kind === "replay" ? { ...decided, earlier: step.earlier } : decided;
}

async function policyRequestOf(ctx: Verified): Promise<PolicyRequest> {
  const { deps, caller, task, now, chain, grant } = ctx;
  return policyRequestFor(askedFor(ctx), {
    task,
    chain,
    breakGlass: grant !== null,
    liveLeases: await deps.leases.liveCount({ agent: caller.subject }),
    environment: deps.config.environment,
    now,
  });
}

/** The request as the policies see it and the lease records it, so a re-evaluation can decide it again. */
function askedFor({ deps, caller, request }: Verified): AskedFor {
  return {
    agent: caller.subject,
    intent: request.intent,
    provider: request.provider,
    target: request.target ?? null,
    ttlSeconds: request.ttlSeconds ?? deps.config.defaultTtlSeconds,
  };
}

async function consultPolicy(
  ctx: Verified,
): Promise<{ decision: PolicyDecision | undefined; policyDetail: Readonly<Record<string, unknown>> }> {
  // Policies decide intents; a token for /mcp has none (each credential its tools ask for is decided then).
  if (!ctx.deps.policy || isSession(ctx.request)) return { decision: undefined, policyDetail: {} };
  const policyRequest = await policyRequestOf(ctx);
  const decision = ctx.deps.policy.decide(policyRequest);
  // Every policy decision is audited with the request it was made on, so it can be replayed (`policy what-if`).
  const policyDetail = policyDecisionDetail(policyRequest, decision);
  if (!decision.allowed) {
    await deny(ctx, decision.reasons, policyDetail);
    throw new LeashError("policy_denied", "the policy set does not permit this request", {
      reasons: decision.reasons,
    });
  }
  return { decision, policyDetail };
}

/** The smallest of request, configuration, policy, provider, the task's deadline and the needed grant's end. */
function ttlSeconds({ deps, request, task, now, provider, grant }: Verified, decision?: PolicyDecision) {
  const ttl = leaseTtlSeconds({
    requestedSeconds: request.ttlSeconds,
    defaultSeconds: deps.config.defaultTtlSeconds,
    caps: [deps.config.maxTtlSeconds, decision?.maxTtlSeconds, provider.maxTtlSeconds(request.target)],
    deadlineMs: task.deadline,
    nowMs: now,
    // Only a lease that needed the grant ends with it; one the task's ceiling covers keeps its TTL.
    grantEndMs: grant?.expiresAt,
  });
  if (ttl < 1 && grant && grant.expiresAt < task.deadline)
    throw new LeashError("ceiling_exceeded", `break-glass ${grant.id} ends in less than a second`);
  if (ttl < 1) throw new LeashError("task_not_active", `task ${task.id} has reached its deadline`);
  return ttl;
}

function pendingLease(ctx: Verified, id: string, ttl: number, policySet: string | undefined): Lease {
  const { caller, request, task, now, grant } = ctx;
  return {
    id,
    taskId: task.id,
    agent: caller.subject,
    provider: request.provider,
    target: request.target ?? null,
    intent: request.intent,
    scope: [],
    state: "pending",
    issuedAt: now,
    expiresAt: now + ttl * 1000,
    revokedAt: null,
    revokeReason: null,
    handle: null,
    providerExpiresAt: null,
    breakGlass: grant !== null,
    breakGlassId: grant?.id ?? null,
    requestedTtlSeconds: askedFor(ctx).ttlSeconds,
    policySet: policySet ?? null,
  };
}
