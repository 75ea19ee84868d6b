import type { LiveDecision, LivePolicyDecider, PolicyDecision, PolicyRequest } from "@leash/core";
import type { CedarValueJson, EntityUidJson } from "./cedar.js";
import type { CompiledPolicySet } from "./compile.js";
import {
  type ActivePolicySet,
  activatePolicySet,
  decidePrepared,
  decideWith,
  type PreparedRequest,
  pruneRequest,
} from "./decide.js";
import { type CedarRequest, toCedarRequest } from "./request.js";
import { snapshotOf } from "./snapshot.js";
import { type AttributeUsage, isRecord } from "./usage.js";

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
  const named = namedTypes(active);
  let distinct = 0;
  for (const [index, request] of requests.entries()) {
    let cedar: CedarRequest;
    try {
      cedar = toCedarRequest(request, active.compiled.actions);
    } catch {
      // A request Cedar cannot take is denied on its own, with its own error.
      decisions[index] = decideWith(active, request);
      distinct += 1;
      continue;
    }
    const key = keyOf(cedar, active.usage.get(cedar.action.id), named);
    const known = memo.get(key);
    if (known) {
      decisions[index] = known;
      continue;
    }
    const group = groups.get(key);
    if (group) group.indexes.push(index);
    else groups.set(key, { prepared: pruneRequest(active, cedar), indexes: [index] });
  }
  for (const [key, { prepared, indexes }] of groups) {
    const decision = decidePrepared(active, prepared);
    memo.set(key, decision);
    for (const index of indexes) decisions[index] = decision;
  }
  return { decisions, distinct: distinct + groups.size };
}

const namedCache = new WeakMap<ActivePolicySet, ReadonlySet<string>>();

/**
 * The entity types whose uids some policy names. Conservative: a type named by any policy of the set keeps its
 * uids in every action's key.
 */
function namedTypes(active: ActivePolicySet): ReadonlySet<string> {
  const cached = namedCache.get(active);
  if (cached) return cached;
  const named = new Set<string>();
  for (const policy of active.compiled.policies.values())
    for (const type of policy.namedTypes) named.add(type);
  namedCache.set(active, named);
  return named;
}

/**
 * Everything of a request Cedar's answer can depend on, as one string: what pruning would keep, written out
 * without building the pruned request (that is built once per distinct key, to be decided).
 */
function keyOf(cedar: CedarRequest, usage: AttributeUsage | undefined, named: ReadonlySet<string>): string {
  const uid = (ref: EntityUidJson) => {
    const e = "__entity" in ref ? ref.__entity : ref;
    return `${JSON.stringify(e.type)}:${JSON.stringify(named.has(e.type) || usage === undefined ? e.id : "")}`;
  };
  const value = (v: CedarValueJson, name?: string): string =>
    usage !== undefined && name !== undefined && isRecord(v) && !usage.whole.has(name)
      ? record(v)
      : JSON.stringify(v);
  const record = (r: Readonly<Record<string, CedarValueJson>>): string => {
    if (usage === undefined || usage.all) return JSON.stringify(r);
    let out = "{";
    for (const name in r) {
      const v = r[name];
      if (v !== undefined && usage.names.has(name)) out += `${JSON.stringify(name)}:${value(v, name)},`;
    }
    return `${out}}`;
  };
  let out = `${JSON.stringify(cedar.action.id)}|${uid(cedar.principal)}|${uid(cedar.resource)}|${record(cedar.context)}`;
  for (const e of cedar.entities) {
    out += `|${uid(e.uid)}${record(e.attrs)}`;
    if (e.tags !== undefined && (usage === undefined || usage.tags)) out += JSON.stringify(e.tags);
  }
  return out;
}

/**
 * What a live lease's re-decision means: a deny revokes it, naming the denying policies; so does a permit that now
 * requires approval (a credential already out cannot wait for a person), naming the permits that require it.
 */
function liveDecisionOf(decision: PolicyDecision, set: CompiledPolicySet): LiveDecision {
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
