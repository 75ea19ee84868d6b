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
}

export interface PolicyDecider {
  decide(request: PolicyRequest): PolicyDecision;
}
