import type { CeilingIntent, Intent, Sensitivity } from "./intent.js";
import { isCanonicalResource, resourceCovers, resourcePatternWithin } from "./resource.js";

const SENSITIVITY_RANK: Record<Sensitivity, number> = {
  public: 0,
  internal: 1,
  confidential: 2,
  restricted: 3,
};

/**
 * One ceiling entry covers an intent when the action is the same, the resource matches exactly or by `*` prefix
 * (both canonical: see resource.ts), and each optional qualifier the entry pins (tool, destination) is the same; an
 * entry's sensitivity is the highest the intent may claim, and an intent that claims none is read as `restricted`,
 * as policies read it (an unknown sensitivity is the highest). Given another ceiling entry, it says whether the
 * entry covers everything that one does.
 */
export function entryCovers(entry: CeilingIntent, intent: Intent | CeilingIntent): boolean {
  if (entry.action !== intent.action) return false;
  if (intent.resource.endsWith("*")) {
    if (!resourcePatternWithin(intent.resource, entry.resource)) return false;
  } else if (!resourceCovers(entry.resource, intent.resource)) return false;
  if (entry.tool !== undefined && entry.tool !== intent.tool) return false;
  if (entry.destination !== undefined && entry.destination !== intent.destination) return false;
  if (entry.sensitivity !== undefined) {
    const asked = intent.sensitivity ?? "restricted";
    if (SENSITIVITY_RANK[asked] > SENSITIVITY_RANK[entry.sensitivity]) return false;
  }
  return true;
}

/** A request is within a ceiling when some entry covers it; a request that is not canonical never is. */
export function intentWithinCeiling(intent: Intent, ceiling: readonly CeilingIntent[]): boolean {
  if (!isCanonicalResource(intent.resource, "request")) return false;
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
    return parent.some((p) => entryCovers(p, bounded));
  });
}
