import type { PolicyDecision, PolicyRequest } from "@leash/core";
import { scopeIncludes } from "./actions.js";
import { DEFAULT_DENY, POLICY_ERROR, REQUEST_REJECTED } from "./annotations.js";
import { type AuthorizationAnswer, preparsePolicySet, statefulIsAuthorized } from "./cedar.js";
import type { CompiledPolicy, CompiledPolicySet } from "./compile.js";
import { type CedarRequest, toCedarRequest } from "./request.js";
import { type AttributeUsage, combineUsage, pruneEntity, pruneRecord } from "./usage.js";

/** A compiled policy set parsed into the Cedar engine's cache under `name`, ready to answer requests. */
export interface ActivePolicySet {
  readonly name: string;
  readonly compiled: CompiledPolicySet;
  /** Per action: what its policies can read, so the rest of the request is not sent. */
  readonly usage: ReadonlyMap<string, AttributeUsage>;
}

/**
 * Parses the set into the engine's cache under `name`, replacing what was there. Call it with a name no
 * decision is using: the caller swaps names only after this succeeded, so a failure leaves the set in use as
 * it was.
 *
 * Cedar pays a cost for every policy in the set on every request, even one whose scope names another action,
 * so the set is cached once per action with only the policies whose action scope can match it. That is the
 * same decision: a policy whose scope does not match a request is never satisfied and never errors.
 * @throws Error when Cedar rejects the set (it was validated, so this points at a bug, not at the policies).
 */
export function activatePolicySet(name: string, compiled: CompiledPolicySet): ActivePolicySet {
  const usage = new Map<string, AttributeUsage>();
  for (const action of compiled.actions.keys()) activateAction(name, compiled, action, usage);
  return { name, compiled, usage };
}

/**
 * `activatePolicySet` an action at a time, letting other work run in between: Cedar parses every policy of each
 * action, tens of milliseconds for a set of 100 that a process serving requests should not spend in one go.
 */
export async function activatePolicySetGradually(
  name: string,
  compiled: CompiledPolicySet,
): Promise<ActivePolicySet> {
  const usage = new Map<string, AttributeUsage>();
  for (const action of compiled.actions.keys()) {
    activateAction(name, compiled, action, usage);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { name, compiled, usage };
}

/** Caches in Cedar the policies whose scope can match `action`, and records what they read. */
function activateAction(
  name: string,
  compiled: CompiledPolicySet,
  action: string,
  usage: Map<string, AttributeUsage>,
): void {
  const ancestors = compiled.actions.get(action) ?? [];
  const staticPolicies: Record<string, string> = {};
  const included: AttributeUsage[] = [];
  for (const policy of compiled.policies.values()) {
    if (!scopeIncludes(policy.actionScope, action, ancestors)) continue;
    staticPolicies[policy.id] = policy.text;
    included.push(policy.usage);
  }
  usage.set(action, combineUsage(included));
  const answer = preparsePolicySet(partitionId(name, action), { staticPolicies });
  if (answer.type === "failure") {
    throw new Error(
      `cannot cache policies for action ${action}: ${answer.errors.map((e) => e.message).join("; ")}`,
    );
  }
}

/** A request as Cedar gets it: built from a PolicyRequest and pruned to what its action's policies can read. */
export interface PreparedRequest extends CedarRequest {
  /** True when the action has policies cached (`decidePrepared` answers "not found" otherwise: a deny). */
  readonly known: boolean;
}

/**
 * Decides one request. Fails closed: anything but a clean allow (an evaluation error in any policy, a request
 * Cedar rejects, an exception) is a deny with the errors listed. The request is not validated against the
 * schema here: the load checked that the requests Leash builds conform to it, and policies were validated.
 */
export function decideWith(active: ActivePolicySet, request: PolicyRequest): PolicyDecision {
  let prepared: PreparedRequest;
  try {
    prepared = prepareRequest(active, request);
  } catch (error) {
    return deny([REQUEST_REJECTED], [error instanceof Error ? error.message : String(error)]);
  }
  return decidePrepared(active, prepared);
}

/** The Cedar request for `request`, pruned. @throws Error for a value Cedar cannot take (see toCedarRequest). */
function prepareRequest(active: ActivePolicySet, request: PolicyRequest): PreparedRequest {
  return pruneRequest(active, toCedarRequest(request, active.compiled.actions));
}

/** A Cedar request pruned to what its action's policies can read. */
export function pruneRequest(active: ActivePolicySet, cedar: CedarRequest): PreparedRequest {
  const { principal, action, resource, context, entities } = cedar;
  const usage = active.usage.get(action.id);
  // No usage means no cached set for this action: Cedar's "not found" below is the fail-closed answer.
  if (usage === undefined) return { principal, action, resource, context, entities, known: false };
  return {
    principal,
    action,
    resource,
    context: pruneRecord(context, usage),
    entities: entities.map((entity) => pruneEntity(entity, usage)),
    known: true,
  };
}

/** Decides a prepared request (see `decideWith`). */
export function decidePrepared(active: ActivePolicySet, prepared: PreparedRequest): PolicyDecision {
  let answer: AuthorizationAnswer;
  try {
    const { principal, action, resource, context, entities } = prepared;
    answer = statefulIsAuthorized({
      principal,
      action,
      resource,
      context,
      entities,
      preparsedPolicySetId: partitionId(active.name, action.id),
    });
  } catch (error) {
    return deny([REQUEST_REJECTED], [error instanceof Error ? error.message : String(error)]);
  }
  if (answer.type === "failure")
    return deny(
      [REQUEST_REJECTED],
      answer.errors.map((e) => e.message),
    );
  const { decision, diagnostics } = answer.response;
  const reasons = [...diagnostics.reason].sort();
  if (diagnostics.errors.length > 0) {
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
    return deny(decision === "deny" && reasons.length > 0 ? reasons : [POLICY_ERROR], errors);
  }
  if (decision === "deny") return deny(reasons.length > 0 ? reasons : [DEFAULT_DENY], []);
  return allow(reasons, active.compiled.policies);
}

function partitionId(name: string, action: string): string {
  return `${name}/${action}`;
}

function allow(reasons: string[], policies: ReadonlyMap<string, CompiledPolicy>): PolicyDecision {
  let maxTtlSeconds: number | undefined;
  let approvalRequired = false;
  const scopeHints: string[] = [];
  for (const id of reasons) {
    const obligations = policies.get(id)?.obligations;
    if (obligations === undefined) continue;
    if (obligations.maxTtlSeconds !== undefined) {
      maxTtlSeconds = Math.min(maxTtlSeconds ?? Number.POSITIVE_INFINITY, obligations.maxTtlSeconds);
    }
    approvalRequired ||= obligations.approvalRequired;
    if (obligations.scopeHint !== undefined && !scopeHints.includes(obligations.scopeHint)) {
      scopeHints.push(obligations.scopeHint);
    }
  }
  return { allowed: true, reasons, maxTtlSeconds, approvalRequired, scopeHints, errors: [] };
}

function deny(reasons: string[], errors: string[]): PolicyDecision {
  return {
    allowed: false,
    reasons,
    maxTtlSeconds: undefined,
    approvalRequired: false,
    scopeHints: [],
    errors,
  };
}
