import type { Approval, BreakGlass } from "../approval.js";
import { intentWithinCeiling } from "../ceiling.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { newId } from "../ids.js";
import type { Intent } from "../intent.js";
import type { Lease, ProviderName } from "../lease.js";
import { type PolicyRequest, policyDecisionDetail } from "../policy.js";
import type { CredentialProvider, MintedCredential } from "../provider.js";
import type { Task } from "../task.js";
import { leaseTtlSeconds } from "../ttl.js";
import { bodyHash } from "./body-hash.js";
import type { BrokerDeps } from "./deps.js";
import { spiffeParts } from "./spiffe.js";
import { stepUp } from "./step-up.js";

export interface IssueRequest {
  taskId: string;
  provider: ProviderName;
  target: string | undefined;
  intent: Intent;
  ttlSeconds: number | undefined;
}

export interface Issued {
  kind: "issued";
  lease: Lease;
  credential: Readonly<Record<string, unknown>>;
  /** True when this is the replay of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export interface AwaitingApproval {
  kind: "approval";
  approval: Approval;
}

/**
 * The issue flow of DESIGN.md: load the task, check ceiling and policy, write the lease ahead as `pending`, mint,
 * activate (which schedules its end), audit. Secrets leave through the return value only.
 */
export async function issueLease(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  request: IssueRequest,
  idempotencyKey?: string,
): Promise<Issued | AwaitingApproval> {
  const now = deps.clock.now();
  const task = await loadIssuableTask(deps, caller, request.taskId, now);
  const provider = deps.providers.get(request.provider);
  if (!provider) throw new LeashError("invalid_request", `provider ${request.provider} is not configured`);
  const chain = await actorChain(deps, task);

  let breakGlass = false;
  let grant: BreakGlass | null = null;
  if (!intentWithinCeiling(request.intent, task.ceiling)) {
    grant = await deps.breakGlass.current(task.id, now);
    breakGlass = grant !== null && intentWithinCeiling(request.intent, grant.ceiling);
    if (!breakGlass) {
      await deny(deps, caller, task, request, ["outside the task ceiling"]);
      throw new LeashError("ceiling_exceeded", "the intent is outside the task's ceiling", {
        reasons: ["intent not covered by any ceiling entry of the task"],
      });
    }
  }
  provider.validate(request.target, request.intent);
  const decided = await decide(deps, caller, task, request, now, chain, breakGlass);
  const decision = decided?.decision;
  const leaseId = newId("ls", now);
  const requestHash = bodyHash(request);
  const step = await stepUp(deps, caller, request, requestHash, decision, now, leaseId, decided?.detail);
  if (step.kind === "wait") return { kind: "approval", approval: step.approval };

  const ttl = leaseTtlSeconds({
    requestedSeconds: request.ttlSeconds,
    defaultSeconds: deps.config.defaultTtlSeconds,
    caps: [deps.config.maxTtlSeconds, decision?.maxTtlSeconds, provider.maxTtlSeconds(request.target)],
    deadlineMs: task.deadline,
    nowMs: now,
    // Only a lease that needed the grant ends with it; one the task's ceiling covers keeps its TTL.
    grantEndMs: breakGlass ? grant?.expiresAt : undefined,
  });
  if (ttl < 1 && breakGlass && grant && grant.expiresAt < task.deadline)
    throw new LeashError("ceiling_exceeded", `break-glass ${grant.id} ends in less than a second`);
  if (ttl < 1) throw new LeashError("task_not_active", `task ${task.id} has reached its deadline`);

  const lease: Lease = {
    id: leaseId,
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
    breakGlass,
    breakGlassId: breakGlass ? (grant?.id ?? null) : null,
  };
  const hash = idempotencyKey ? requestHash : "";
  const earlier = await deps.leases.createPending(
    lease,
    idempotencyKey ? { key: idempotencyKey, bodyHash: hash } : undefined,
  );
  if (earlier) return replay(deps, provider, earlier.leaseId, earlier.bodyHash === hash, chain);
  if (breakGlass && grant) await ensureGrantOpen(deps, caller, task, request, lease.id, grant.id);

  const minted = await mint(deps, provider, lease, task, decision?.scopeHints ?? [], chain);
  const outcome = await deps.leases.activate(lease.id, {
    taskId: task.id,
    handle: minted.handle,
    providerExpiresAt: minted.providerExpiresAt,
    scope: minted.scope,
  });
  if (outcome === "revoke") {
    await deps.queue.revoke([{ leaseId: lease.id, reason: "revoked while being issued" }]);
    throw new LeashError(
      "task_not_active",
      `task ${task.id} ended while the credential was being issued; it was revoked`,
    );
  }
  deps.replay.set(lease.id, minted.credential);
  await deps.audit.append({
    type: "lease.issued",
    actor: caller.subject,
    agent: caller.subject,
    taskId: task.id,
    leaseId: lease.id,
    outcome: breakGlass ? "warning" : "ok",
    detail: {
      provider: lease.provider,
      target: lease.target,
      intent: lease.intent,
      expires_at: lease.expiresAt,
      reasons: decision?.reasons ?? [],
      ...(breakGlass ? { break_glass: true } : {}),
      ...(step.approvalId ? { approval_id: step.approvalId } : {}),
      ...(chain.length > 0 ? { chain } : {}),
      ...decided?.detail,
    },
  });
  return {
    kind: "issued",
    lease: {
      ...lease,
      state: "active",
      handle: minted.handle,
      providerExpiresAt: minted.providerExpiresAt,
      scope: minted.scope,
    },
    credential: minted.credential,
    replayed: false,
  };
}

/**
 * Closing a grant marks it closed and then revokes the live leases issued under it; this lease is written ahead
 * before the grant is read again, so either the closing finds it (and activation revokes it) or it sees the grant
 * closed here and nothing is minted.
 */
async function ensureGrantOpen(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  task: Task,
  request: IssueRequest,
  leaseId: string,
  grantId: string,
) {
  const grant = await deps.breakGlass.get(grantId);
  if (grant && grant.closedAt === undefined) return;
  await deps.leases.abort(leaseId, "break-glass closed");
  await deny(deps, caller, task, request, [`break-glass ${grantId} was closed`]);
  throw new LeashError("ceiling_exceeded", "the intent is outside the task's ceiling", {
    reasons: [`break-glass ${grantId} was closed`],
  });
}

/** Agents of the ancestor tasks, nearest first (the RFC 8693 `act` chain and the policy's `task.chain`). */
async function actorChain(deps: BrokerDeps, task: Task): Promise<string[]> {
  const chain: string[] = [];
  let parentId = task.parentId;
  while (parentId !== null && chain.length <= deps.config.maxDelegationDepth) {
    const parent = await deps.tasks.get(parentId);
    if (!parent) break;
    chain.push(parent.agent);
    parentId = parent.parentId;
  }
  return chain;
}

async function loadIssuableTask(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  taskId: string,
  now: number,
): Promise<Task> {
  const task = await deps.tasks.get(taskId);
  // Someone else's task is answered exactly like a missing one (same code, same detail, same single read), so
  // task ids cannot be probed; its state is not revealed either, since this comes before the state check.
  if (!task || task.agent !== caller.subject) {
    throw new LeashError("not_found", `task ${taskId} does not exist`);
  }
  if (task.state !== "active" || task.deadline <= now) {
    throw new LeashError(
      "task_not_active",
      `task ${taskId} is ${task.state === "active" ? "past its deadline" : task.state}`,
    );
  }
  return task;
}

async function decide(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  task: Task,
  request: IssueRequest,
  now: number,
  chain: string[],
  breakGlass: boolean,
) {
  if (!deps.policy) return undefined;
  const spiffe = spiffeParts(caller.subject);
  const policyRequest: PolicyRequest = {
    agent: {
      id: caller.subject,
      trustDomain: spiffe?.trustDomain ?? null,
      path: spiffe?.path ?? null,
      labels: {},
    },
    intent: request.intent,
    task: {
      id: task.id,
      labels: task.labels,
      remainingSeconds: Math.floor((task.deadline - now) / 1000),
      depth: task.depth,
      chain,
      breakGlass,
    },
    provider: request.provider,
    target: request.target ?? null,
    ttlSeconds: request.ttlSeconds ?? deps.config.defaultTtlSeconds,
    environment: deps.config.environment,
    now: new Date(now),
    exposure: { liveLeases: await deps.leases.liveCount({ agent: caller.subject }) },
  };
  const decision = deps.policy.decide(policyRequest);
  // Every policy decision is audited with the request it was made on, so it can be replayed (`policy what-if`).
  const detail = policyDecisionDetail(policyRequest, decision);
  if (!decision.allowed) {
    await deny(deps, caller, task, request, decision.reasons, detail);
    throw new LeashError("policy_denied", "the policy set does not permit this request", {
      reasons: decision.reasons,
    });
  }
  return { decision, detail };
}

async function deny(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  task: Task,
  request: IssueRequest,
  reasons: string[],
  policyDetail: Readonly<Record<string, unknown>> = {},
) {
  await deps.audit.append({
    type: "lease.denied",
    actor: caller.subject,
    agent: caller.subject,
    taskId: task.id,
    outcome: "denied",
    detail: {
      provider: request.provider,
      target: request.target ?? null,
      intent: request.intent,
      reasons,
      ...policyDetail,
    },
  });
}

async function mint(
  deps: BrokerDeps,
  provider: CredentialProvider,
  lease: Lease,
  task: Task,
  scopeHints: string[],
  actorChain: string[],
): Promise<MintedCredential> {
  const revokeRequest = {
    leaseId: lease.id,
    taskId: lease.taskId,
    agent: lease.agent,
    target: lease.target,
    handle: null,
    issuedAt: lease.issuedAt,
    providerExpiresAt: null,
  };
  try {
    return await provider.mint(
      {
        leaseId: lease.id,
        taskId: task.id,
        agent: lease.agent,
        target: lease.target ?? undefined,
        intent: lease.intent,
        ttlSeconds: Math.round((lease.expiresAt - lease.issuedAt) / 1000),
        expiresAt: lease.expiresAt,
        actorChain,
        scopeHints,
      },
      AbortSignal.timeout(deps.config.mintTimeoutMs),
    );
  } catch (error) {
    const known =
      error instanceof LeashError
        ? error
        : new LeashError("provider_unavailable", `${provider.name}: mint failed`, { cause: error });
    // A refusal means nothing exists; an outage or timeout leaves the outcome unknown, so reclaim before aborting.
    // If even that fails, the lease stays pending and the reconciler settles it.
    const settled = known.retry
      ? await provider.reclaim(revokeRequest, AbortSignal.timeout(deps.config.mintTimeoutMs)).then(
          () => true,
          () => false,
        )
      : true;
    if (settled) await deps.leases.abort(lease.id, known.message);
    await deps.audit.append({
      type: "lease.mint_failed",
      actor: lease.agent,
      agent: lease.agent,
      taskId: lease.taskId,
      leaseId: lease.id,
      outcome: "failed",
      detail: { provider: provider.name, code: known.code, error: known.message },
    });
    throw known;
  }
}

async function replay(
  deps: BrokerDeps,
  provider: CredentialProvider,
  leaseId: string,
  sameBody: boolean,
  chain: string[],
): Promise<Issued> {
  if (!sameBody) {
    throw new LeashError(
      "idempotency_conflict",
      "this Idempotency-Key was used with a different request body",
    );
  }
  const deadline = deps.clock.now() + deps.config.mintTimeoutMs;
  let lease = await deps.leases.get(leaseId);
  while (lease?.state === "pending" && deps.clock.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    lease = await deps.leases.get(leaseId);
  }
  if (lease?.state !== "active") {
    throw new LeashError(
      "idempotency_conflict",
      `the request with this Idempotency-Key ended as lease ${leaseId} in state ${lease?.state ?? "unknown"}; use a new key`,
    );
  }
  const cached = deps.replay.get(leaseId);
  if (cached) return { kind: "issued", lease, credential: cached, replayed: true };
  if (provider.remintable) {
    const again = await provider.mint(
      {
        leaseId,
        taskId: lease.taskId,
        agent: lease.agent,
        target: lease.target ?? undefined,
        intent: lease.intent,
        ttlSeconds: Math.round((lease.expiresAt - lease.issuedAt) / 1000),
        expiresAt: lease.expiresAt,
        actorChain: chain,
        scopeHints: [],
      },
      AbortSignal.timeout(deps.config.mintTimeoutMs),
    );
    return { kind: "issued", lease, credential: again.credential, replayed: true };
  }
  throw new LeashError(
    "idempotency_conflict",
    `the credential of lease ${leaseId} was already delivered and Leash never stores secrets; return it (DELETE) and ask again with a new key`,
  );
}
