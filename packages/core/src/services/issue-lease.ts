import { intentWithinCeiling } from "../ceiling.js";
import { LeashError } from "../errors.js";
import type { WorkloadIdentity } from "../identity.js";
import { newId } from "../ids.js";
import type { Intent } from "../intent.js";
import type { Lease, ProviderName } from "../lease.js";
import type { CredentialProvider, MintedCredential } from "../provider.js";
import type { Task } from "../task.js";
import { leaseTtlSeconds } from "../ttl.js";
import { bodyHash } from "./body-hash.js";
import type { BrokerDeps } from "./deps.js";
import { spiffeParts } from "./spiffe.js";

export interface IssueRequest {
  taskId: string;
  provider: ProviderName;
  target: string | undefined;
  intent: Intent;
  ttlSeconds: number | undefined;
}

export interface Issued {
  lease: Lease;
  credential: Readonly<Record<string, unknown>>;
  /** True when this is the replay of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
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
): Promise<Issued> {
  const now = deps.clock.now();
  const task = await loadIssuableTask(deps, caller, request.taskId, now);
  const provider = deps.providers.get(request.provider);
  if (!provider) throw new LeashError("invalid_request", `provider ${request.provider} is not configured`);

  if (!intentWithinCeiling(request.intent, task.ceiling)) {
    await deny(deps, caller, task, request, ["outside the task ceiling"]);
    throw new LeashError("ceiling_exceeded", "the intent is outside the task's ceiling", {
      reasons: ["intent not covered by any ceiling entry of the task"],
    });
  }
  provider.validate(request.target, request.intent);
  const decision = await decide(deps, caller, task, request, now);

  const ttl = leaseTtlSeconds({
    requestedSeconds: request.ttlSeconds,
    defaultSeconds: deps.config.defaultTtlSeconds,
    caps: [deps.config.maxTtlSeconds, decision?.maxTtlSeconds, provider.maxTtlSeconds(request.target)],
    deadlineMs: task.deadline,
    nowMs: now,
  });
  if (ttl < 1) throw new LeashError("task_not_active", `task ${task.id} has reached its deadline`);

  const lease: Lease = {
    id: newId("ls", now),
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
    breakGlass: false,
  };
  const hash = idempotencyKey ? bodyHash(request) : "";
  const earlier = await deps.leases.createPending(
    lease,
    idempotencyKey ? { key: idempotencyKey, bodyHash: hash } : undefined,
  );
  if (earlier) return replay(deps, provider, earlier.leaseId, earlier.bodyHash === hash);

  const minted = await mint(deps, provider, lease, task, decision?.scopeHints ?? []);
  const outcome = await deps.leases.activate(lease.id, {
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
    outcome: "ok",
    detail: {
      provider: lease.provider,
      target: lease.target,
      intent: lease.intent,
      expires_at: lease.expiresAt,
      reasons: decision?.reasons ?? [],
    },
  });
  return {
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

async function loadIssuableTask(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  taskId: string,
  now: number,
): Promise<Task> {
  const task = await deps.tasks.get(taskId);
  if (!task) throw new LeashError("not_found", `task ${taskId} does not exist`);
  if (task.agent !== caller.subject)
    throw new LeashError("forbidden", `task ${taskId} is not bound to this agent`);
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
) {
  if (!deps.policy) return undefined;
  const spiffe = spiffeParts(caller.subject);
  const decision = deps.policy.decide({
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
      chain: [],
      breakGlass: false,
    },
    provider: request.provider,
    target: request.target ?? null,
    ttlSeconds: request.ttlSeconds ?? deps.config.defaultTtlSeconds,
    environment: deps.config.environment,
    now: new Date(now),
    exposure: { liveLeases: await deps.leases.liveCount({ agent: caller.subject }) },
  });
  if (!decision.allowed) {
    await deny(deps, caller, task, request, decision.reasons);
    throw new LeashError("policy_denied", "the policy set does not permit this request", {
      reasons: decision.reasons,
    });
  }
  return decision;
}

async function deny(
  deps: BrokerDeps,
  caller: WorkloadIdentity,
  task: Task,
  request: IssueRequest,
  reasons: string[],
) {
  await deps.audit.append({
    type: "lease.denied",
    actor: caller.subject,
    agent: caller.subject,
    taskId: task.id,
    outcome: "denied",
    detail: { provider: request.provider, target: request.target ?? null, intent: request.intent, reasons },
  });
}

async function mint(
  deps: BrokerDeps,
  provider: CredentialProvider,
  lease: Lease,
  task: Task,
  scopeHints: string[],
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
        actorChain: [],
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
  if (cached) return { lease, credential: cached, replayed: true };
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
        actorChain: [],
        scopeHints: [],
      },
      AbortSignal.timeout(deps.config.mintTimeoutMs),
    );
    return { lease, credential: again.credential, replayed: true };
  }
  throw new LeashError(
    "idempotency_conflict",
    `the credential of lease ${leaseId} was already delivered and Leash never stores secrets; return it (DELETE) and ask again with a new key`,
  );
}
