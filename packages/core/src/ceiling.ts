import type { CeilingIntent, Intent, Sensitivity } from "./intent.js";

const SENSITIVITY_RANK: Record<Sensitivity, number> = {
  public: 0,
  internal: 1,
  confidential: 2,
  restricted: 3,
};

function resourceCovered(pattern: string, resource: string): boolean {
  if (pattern.endsWith("*")) return resource.startsWith(pattern.slice(0, -1));
  return pattern === resource;
}

/**
 * One ceiling entry covers an intent when the action is the same, the resource matches exactly or by `*` prefix,
 * and each optional qualifier the entry pins (tool, destination) is the same; an entry's sensitivity is the highest
 * the intent may claim.
 */
export function entryCovers(entry: CeilingIntent, intent: Intent | CeilingIntent): boolean {
  if (entry.action !== intent.action) return false;
  if (!resourceCovered(entry.resource, intent.resource)) return false;
  if (entry.tool !== undefined && entry.tool !== intent.tool) return false;
  if (entry.destination !== undefined && entry.destination !== intent.destination) return false;
  if (entry.sensitivity !== undefined) {
    const asked = intent.sensitivity ?? "public";
    if (SENSITIVITY_RANK[asked] > SENSITIVITY_RANK[entry.sensitivity]) return false;
  }
  return true;
}

export function intentWithinCeiling(intent: Intent, ceiling: readonly CeilingIntent[]): boolean {
  return ceiling.some((entry) => entryCovers(entry, intent));
}

/**
 * A delegated ceiling must not widen its parent: every child entry is covered by some parent entry. A child entry
 * without a sensitivity admits every sensitivity, so it is compared as `restricted`: otherwise dropping the
 * parent's cap would pass as narrowing.
 */
export function ceilingWithin(child: readonly CeilingIntent[], parent: readonly CeilingIntent[]): boolean {
  return child.every((entry) => {
    const bounded = { ...entry, sensitivity: entry.sensitivity ?? "restricted" };
    return parent.some((p) => entryCoversPattern(p, bounded));
  });
}

function entryCoversPattern(parent: CeilingIntent, child: CeilingIntent): boolean {
  if (!child.resource.endsWith("*")) return entryCovers(parent, child);
  // A child prefix is inside the parent only if the parent is a prefix at least as wide.
  if (!parent.resource.endsWith("*")) return false;
  const childPrefix = child.resource.slice(0, -1);
  return (
    childPrefix.startsWith(parent.resource.slice(0, -1)) &&
    entryCovers(parent, { ...child, resource: childPrefix })
  );
}
