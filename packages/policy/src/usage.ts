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
  /**
   * Attributes some policy uses as a value rather than only reading attributes of (`context.exposure == {...}`):
   * a record under such a name is sent whole; any other record is pruned to its named attributes too.
   */
  readonly whole: ReadonlySet<string>;
  readonly tags: boolean;
}

const USE_EVERYTHING: AttributeUsage = { all: true, names: new Set(), whole: new Set(), tags: true };

/** Reads the usage of one policy in Cedar's JSON format (`policyToJson`). */
export function attributeUsage(policy: unknown): AttributeUsage {
  const names = new Set<string>();
  const whole = new Set<string>();
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
        // `a.b` whose value is used (not the left of another access) may be a record compared or passed whole.
        if (key === "." && !underAccess && typeof attr === "string") whole.add(attr);
        walk(left, true);
        continue;
      }
      walk(value, false);
    }
  };
  walk(policy, false);
  return state.all ? USE_EVERYTHING : { all: false, names, whole, tags: state.tags };
}

export function combineUsage(usages: Iterable<AttributeUsage>): AttributeUsage {
  const names = new Set<string>();
  const whole = new Set<string>();
  let tags = false;
  for (const usage of usages) {
    if (usage.all) return USE_EVERYTHING;
    for (const name of usage.names) names.add(name);
    for (const name of usage.whole) whole.add(name);
    tags ||= usage.tags;
  }
  return { all: false, names, whole, tags };
}

/**
 * The attributes of `record` some policy names, and inside each nested record the same, unless that record is used
 * whole. Policies reach into a record only by naming attributes (`.name`, `has name`), so nothing left out is read.
 */
export function pruneRecord(
  record: Record<string, CedarValueJson>,
  usage: AttributeUsage,
): Record<string, CedarValueJson> {
  if (usage.all) return record;
  const out: Record<string, CedarValueJson> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!usage.names.has(key)) continue;
    out[key] = isRecord(value) && !usage.whole.has(key) ? pruneRecord(value, usage) : value;
  }
  return out;
}

/** A Cedar record value: a plain object that is not an entity reference or an extension value. */
export function isRecord(value: CedarValueJson): value is Record<string, CedarValueJson> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !("__entity" in value) &&
    !("__extn" in value)
  );
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
