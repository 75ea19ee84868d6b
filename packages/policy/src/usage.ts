import type { CedarValueJson, EntityJson } from "./cedar.js";

/**
 * Which parts of a request a group of policies can read. Handing a value to Cedar costs time per value
 * (it is converted across the wasm boundary and parsed), so Leash leaves out the top-level context
 * attributes and entity attributes no policy names.
 *
 * Why this cannot change a decision: policies read attributes only with `.name` and `has name`, and both name
 * the attribute, so every attribute a policy can read is kept (nested records are kept whole). Entities are
 * compared by their uid, never by their attributes. The one way to read the context without naming an
 * attribute is to use `context` itself as a value (`context == {...}`); a policy doing that turns pruning off.
 */
export interface AttributeUsage {
  /** Everything is sent. */
  readonly all: boolean;
  readonly names: ReadonlySet<string>;
  readonly tags: boolean;
}

const USE_EVERYTHING: AttributeUsage = { all: true, names: new Set(), tags: true };

/** Reads the usage of one policy in Cedar's JSON format (`policyToJson`). */
export function attributeUsage(policy: unknown): AttributeUsage {
  const names = new Set<string>();
  const state = { all: false, tags: false };
  const walk = (node: unknown, underAccess: boolean): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child, false);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "Var" && value === "context" && !underAccess) state.all = true;
      if (key === "getTag" || key === "hasTag") state.tags = true;
      if ((key === "." || key === "has") && typeof value === "object" && value !== null) {
        const { left, attr } = value as { left?: unknown; attr?: unknown };
        for (const name of Array.isArray(attr) ? attr : [attr]) if (typeof name === "string") names.add(name);
        walk(left, true);
        continue;
      }
      walk(value, false);
    }
  };
  walk(policy, false);
  return state.all ? USE_EVERYTHING : { all: false, names, tags: state.tags };
}

export function combineUsage(usages: Iterable<AttributeUsage>): AttributeUsage {
  const names = new Set<string>();
  let tags = false;
  for (const usage of usages) {
    if (usage.all) return USE_EVERYTHING;
    for (const name of usage.names) names.add(name);
    tags ||= usage.tags;
  }
  return { all: false, names, tags };
}

export function pruneRecord(
  record: Record<string, CedarValueJson>,
  usage: AttributeUsage,
): Record<string, CedarValueJson> {
  if (usage.all) return record;
  const out: Record<string, CedarValueJson> = {};
  for (const [key, value] of Object.entries(record)) if (usage.names.has(key)) out[key] = value;
  return out;
}

export function pruneEntity(entity: EntityJson, usage: AttributeUsage): EntityJson {
  if (usage.all) return entity;
  const { tags, ...rest } = entity;
  const pruned: EntityJson = { ...rest, attrs: pruneRecord(entity.attrs, usage) };
  if (usage.tags && tags !== undefined) pruned.tags = tags;
  return pruned;
}

/**
 * Entity types whose uids a policy names by a literal (`principal == Leash::Agent::"a"`, `resource in
 * Leash::Resource::"r"`, `[Leash::Agent::"b"].contains(principal)`). A uid can decide nothing else: entities are
 * compared by uid and have no parents here, and the context holds no entity. So requests that differ only in the
 * uid of a type no policy names get the same decision.
 */
export function namedEntityTypes(policy: unknown): string[] {
  const types = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const { type, id } = node as { type?: unknown; id?: unknown };
    if (typeof type === "string" && typeof id === "string") types.add(type);
    for (const value of Object.values(node)) walk(value);
  };
  walk(policy);
  return [...types].sort();
}
