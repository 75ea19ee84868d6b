import type { PolicyRequest, Sensitivity } from "@leash/core";
import { ACTION_TYPE, type ActionHierarchy, NAMESPACE, OTHER_ACTION } from "./actions.js";
import type { CedarValueJson, Context, EntityJson } from "./cedar.js";

const AGENT = `${NAMESPACE}::Agent`;
const RESOURCE = `${NAMESPACE}::Resource`;

export const SENSITIVITY_RANK: Readonly<Record<Sensitivity, number>> = {
  public: 0,
  internal: 1,
  confidential: 2,
  restricted: 3,
};
/** An intent that does not say how sensitive its data is gets the strictest treatment. */
const UNDECLARED_SENSITIVITY_RANK = 3;

export interface CedarRequest {
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context: Context;
  entities: EntityJson[];
}

/** Intent actions are matched exactly (case-sensitive): "Read" is not "read". */
export function cedarActionId(action: string, actions: ActionHierarchy): string {
  return actions.has(action) ? action : OTHER_ACTION;
}

/**
 * The Cedar request for a PolicyRequest. The action entity carries its groups as parents, so `action in
 * Leash::Action::"any"` holds without handing Cedar the schema on every request.
 */
export function toCedarRequest(request: PolicyRequest, actions: ActionHierarchy): CedarRequest {
  const { agent, intent, task } = request;
  const principal = { type: AGENT, id: agent.id };
  const resource = { type: RESOURCE, id: intent.resource };
  const sensitivityRank =
    intent.sensitivity === undefined ? UNDECLARED_SENSITIVITY_RANK : SENSITIVITY_RANK[intent.sensitivity];
  const now = request.now;
  const epochSeconds = whole(now.getTime() / 1000, "now");
  const weekday = now.getUTCDay();

  // Cedar has no null: absent values are left out, and policies test them with `has`.
  const agentAttrs: Record<string, CedarValueJson> = { id: agent.id, labels: labelSet(agent.labels) };
  if (agent.trustDomain !== null) agentAttrs.trust_domain = agent.trustDomain;
  if (agent.path !== null) agentAttrs.path = agent.path;
  const resourceAttrs: Record<string, CedarValueJson> = {
    id: intent.resource,
    sensitivity_rank: sensitivityRank,
  };
  if (intent.tool !== undefined) resourceAttrs.tool = intent.tool;
  if (intent.destination !== undefined) resourceAttrs.destination = intent.destination;
  if (intent.sensitivity !== undefined) resourceAttrs.sensitivity = intent.sensitivity;

  const context: Context = {
    action_name: intent.action,
    task: {
      id: task.id,
      labels: labelSet(task.labels),
      remaining_seconds: whole(task.remainingSeconds, "task.remainingSeconds"),
      depth: whole(task.depth, "task.depth"),
      chain: [...new Set(task.chain)],
      break_glass: task.breakGlass,
    },
    environment: request.environment,
    time: {
      hour: now.getUTCHours(),
      weekday: weekday === 0 ? 7 : weekday,
      epoch_seconds: epochSeconds,
    },
    provider: request.provider,
    ttl_seconds: whole(request.ttlSeconds, "ttlSeconds"),
    exposure: { live_leases: whole(request.exposure.liveLeases, "exposure.liveLeases") },
  };
  if (request.target !== null) context.target = request.target;
  if (intent.destination !== undefined) context.destination = intent.destination;
  if (intent.sensitivity !== undefined) context.sensitivity = intent.sensitivity;
  if (intent.purpose !== undefined) context.purpose = intent.purpose;

  const action = { type: ACTION_TYPE, id: cedarActionId(intent.action, actions) };
  const actionEntity: EntityJson = {
    uid: action,
    attrs: {},
    parents: (actions.get(action.id) ?? []).map((id) => ({ type: ACTION_TYPE, id })),
  };
  return {
    principal,
    action,
    resource,
    context,
    entities: [
      { uid: principal, attrs: agentAttrs, parents: [], tags: { ...agent.labels } },
      { uid: resource, attrs: resourceAttrs, parents: [] },
      actionEntity,
    ],
  };
}

function labelSet(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/**
 * Cedar numbers are 64-bit integers: fractions are floored. A value that is not a safe integer after that
 * (NaN, infinity, 1e300) is a bug upstream; it is refused even when no policy reads it, so it cannot pass
 * unnoticed because the attribute was left out of the request.
 */
function whole(value: number, name: string): number {
  const floored = Math.floor(value);
  if (!Number.isSafeInteger(floored)) throw new Error(`${name} must be a finite number, got ${value}`);
  return floored;
}
