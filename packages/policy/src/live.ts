import type { LiveDecision, LivePolicyDecider, PolicyDecision, PolicyRequest } from "@leash/core";
import type { EntityUidJson } from "./cedar.js";
import type { CompiledPolicySet } from "./compile.js";
import {
  type ActivePolicySet,
  activatePolicySet,
  decidePrepared,
  decideWith,
  type PreparedRequest,
  prepareRequest,
} from "./decide.js";
import { snapshotOf } from "./snapshot.js";

/** Decisions for many requests, and how many Cedar actually made (one per distinct request). */
export interface ManyDecisions {
  decisions: PolicyDecision[];
  distinct: number;
}

/**
 * Decides every request as `decideWith` would, but each distinct request once: requests whose pruned Cedar form
 * is the same (the action, every attribute the action's policies can read, and the principal's and resource's uids
 * where a policy names such a uid) get the same answer from Cedar, which is deterministic. Re-deciding 100,000
 * live leases then costs one decision per distinct (agent class, intent, provider, target, task shape) rather than
 * one per lease.
 */
export function decideMany(
  active: ActivePolicySet,
  requests: readonly PolicyRequest[],
  /** Decisions of earlier calls by key (one run's): a request equal to one of them is not decided again. */
  memo: Map<string, PolicyDecision> = new Map(),
): ManyDecisions {
  const decisions: PolicyDecision[] = new Array(requests.length);
  const groups = new Map<string, { prepared: PreparedRequest; indexes: number[] }>();
  const named = namedTypesByAction(active);
  let distinct = 0;
  for (const [index, request] of requests.entries()) {
    let prepared: PreparedRequest;
    try {
      prepared = prepareRequest(active, request);
    } catch {
      // A request Cedar cannot take is denied on its own, with its own error.
      decisions[index] = decideWith(active, request);
      distinct += 1;
      continue;
    }
    const key = keyOf(prepared, named.get(prepared.action.id));
    const known = memo.get(key);
    if (known) {
      decisions[index] = known;
      continue;
    }
    const group = groups.get(key);
    if (group) group.indexes.push(index);
    else groups.set(key, { prepared, indexes: [index] });
  }
  for (const [key, { prepared, indexes }] of groups) {
    const decision = decidePrepared(active, prepared);
    memo.set(key, decision);
    for (const index of indexes) decisions[index] = decision;
  }
  return { decisions, distinct: distinct + groups.size };
}

const namedCache = new WeakMap<ActivePolicySet, Map<string, ReadonlySet<string>>>();

/** Per action: the entity types whose uids some policy that can apply to it names. */
function namedTypesByAction(active: ActivePolicySet): Map<string, ReadonlySet<string>> {
  const cached = namedCache.get(active);
  if (cached) return cached;
  const everyPolicy = new Set<string>();
  for (const policy of active.compiled.policies.values())
    for (const type of policy.namedTypes) everyPolicy.add(type);
  // Conservative: a type named by any policy of the set keeps its uids in every action's key.
  const out = new Map([...active.usage.keys()].map((action) => [action, everyPolicy as ReadonlySet<string>]));
  namedCache.set(active, out);
  return out;
}

/** Everything of a prepared request Cedar's answer can depend on, as one string. */
function keyOf(prepared: PreparedRequest, named: ReadonlySet<string> | undefined): string {
  const uid = (ref: EntityUidJson) => {
    const e = "__entity" in ref ? ref.__entity : ref;
    return [e.type, named === undefined || named.has(e.type) ? e.id : ""];
  };
  const entities = prepared.entities.map((e) => [uid(e.uid), e.attrs, e.tags ?? null]);
  return JSON.stringify([
    prepared.action.id,
    uid(prepared.principal),
    uid(prepared.resource),
    prepared.context,
    entities,
  ]);
}

/**
 * What a live lease's re-decision means: a deny revokes it, naming the denying policies; so does a permit that now
 * requires approval (a credential already out cannot wait for a person), naming the permits that require it.
 */
export function liveDecisionOf(decision: PolicyDecision, set: CompiledPolicySet): LiveDecision {
  if (!decision.allowed) return { revoke: true, policies: decision.reasons };
  if (!decision.approvalRequired) return { revoke: false, policies: [] };
  const policies = decision.reasons.filter((id) => set.policies.get(id)?.obligations.approvalRequired);
  return { revoke: true, policies };
}

/** A LivePolicyDecider over a compiled set, cached in Cedar under `name` (replacing what was there). */
export function liveDecider(name: string, compiled: CompiledPolicySet): LivePolicyDecider {
  const active = activatePolicySet(name, compiled);
  return {
    policySet: snapshotOf(compiled).id,
    session() {
      const memo = new Map<string, PolicyDecision>();
      return {
        get decided() {
          return memo.size;
        },
        decide(requests) {
          return decideMany(active, requests, memo).decisions.map((d) => liveDecisionOf(d, compiled));
        },
      };
    },
  };
}
