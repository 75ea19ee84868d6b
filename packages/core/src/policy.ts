import type { Intent } from "./intent.js";
import type { ProviderName } from "./lease.js";

/** Everything a policy may look at when an agent asks for a credential. */
export interface PolicyRequest {
  agent: { id: string; trustDomain: string | null; path: string | null; labels: Record<string, string> };
  intent: Intent;
  task: {
    id: string;
    labels: Record<string, string>;
    remainingSeconds: number;
    depth: number;
    /** Agents of the ancestor tasks, nearest first. */
    chain: readonly string[];
    breakGlass: boolean;
  };
  provider: ProviderName;
  target: string | null;
  ttlSeconds: number;
  environment: string;
  now: Date;
  exposure: { liveLeases: number };
}

export interface PolicyDecision {
  allowed: boolean;
  /** `@id`s of the determining policies (permits when allowed, forbids when denied). */
  reasons: string[];
  /** Obligations collected from the permitting policies. */
  maxTtlSeconds: number | undefined;
  approvalRequired: boolean;
  scopeHints: string[];
  /** Evaluation errors (a deny with errors is still a deny: fail closed). */
  errors: string[];
  /** The id of the policy set that decided (see `PolicySetSnapshot`), recorded on the lease it issues. */
  policySet?: string;
}

export interface PolicyDecider {
  decide(request: PolicyRequest): PolicyDecision;
}

/**
 * A PolicyRequest as JSON: snake_case and the time as an ISO 8601 string. It is the `request` form of a policy
 * cases file, so a recorded decision can be replayed against another policy set or pasted into a test case.
 * It holds identities, the intent and counts, never a credential.
 */
export interface PolicyRequestRecord {
  agent: { id: string; trust_domain: string | null; path: string | null; labels: Record<string, string> };
  intent: Intent;
  task: {
    id: string;
    labels: Record<string, string>;
    remaining_seconds: number;
    depth: number;
    chain: string[];
    break_glass: boolean;
  };
  provider: ProviderName;
  target: string | null;
  ttl_seconds: number;
  environment: string;
  now: string;
  exposure: { live_leases: number };
}

export function policyRequestRecord(request: PolicyRequest): PolicyRequestRecord {
  return {
    agent: {
      id: request.agent.id,
      trust_domain: request.agent.trustDomain,
      path: request.agent.path,
      labels: { ...request.agent.labels },
    },
    intent: request.intent,
    task: {
      id: request.task.id,
      labels: { ...request.task.labels },
      remaining_seconds: request.task.remainingSeconds,
      depth: request.task.depth,
      chain: [...request.task.chain],
      break_glass: request.task.breakGlass,
    },
    provider: request.provider,
    target: request.target,
    ttl_seconds: request.ttlSeconds,
    environment: request.environment,
    now: request.now.toISOString(),
    exposure: { live_leases: request.exposure.liveLeases },
  };
}

/**
 * What the audit event of a policy decision records about it: the decision, its obligations when allowed, and
 * the exact request, so `leash policy what-if` can replay it against a candidate policy set.
 */
export function policyDecisionDetail(request: PolicyRequest, decision: PolicyDecision) {
  return {
    decision: decision.allowed ? ("allow" as const) : ("deny" as const),
    ...(decision.allowed
      ? {
          obligations: {
            max_ttl_seconds: decision.maxTtlSeconds ?? null,
            approval_required: decision.approvalRequired,
          },
        }
      : {}),
    policy_request: policyRequestRecord(request),
  };
}
