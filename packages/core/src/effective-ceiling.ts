import { ceilingWithin, intentWithinCeiling } from "./ceiling.js";
import type { CeilingIntent, Intent, Sensitivity } from "./intent.js";
import { resourcePatternWithin } from "./resource.js";

const RANK: Record<Sensitivity, number> = { public: 0, internal: 1, confidential: 2, restricted: 3 };

/** The one pinned value two entries agree on, `undefined` when neither pins one, or null when they disagree. */
function pin(a: string | undefined, b: string | undefined): string | undefined | null {
  if (a !== undefined && b !== undefined && a !== b) return null;
  return a ?? b;
}

/**
 * What both entries allow, or null. Two resource patterns that match a common request are nested (both are
 * prefixes of it), so the narrower one is the intersection; when neither is within the other nothing is kept, which
 * can only make the result narrower than the exact intersection, never wider.
 */
function intersectEntries(a: CeilingIntent, b: CeilingIntent): CeilingIntent | null {
  if (a.action !== b.action) return null;
  const resource = resourcePatternWithin(a.resource, b.resource)
    ? a.resource
    : resourcePatternWithin(b.resource, a.resource)
      ? b.resource
      : null;
  const tool = pin(a.tool, b.tool);
  const destination = pin(a.destination, b.destination);
  if (resource === null || tool === null || destination === null) return null;
  const caps = [a.sensitivity, b.sensitivity].filter((s): s is Sensitivity => s !== undefined);
  const sensitivity = caps.sort((x, y) => RANK[x] - RANK[y])[0];
  const purpose = a.purpose ?? b.purpose;
  return {
    action: a.action,
    resource,
    ...(tool !== undefined ? { tool } : {}),
    ...(sensitivity !== undefined ? { sensitivity } : {}),
    ...(destination !== undefined ? { destination } : {}),
    ...(purpose !== undefined ? { purpose } : {}),
  };
}

/**
 * Entries another entry of the list covers add nothing: dropped, so the list stays readable. Of two equivalent
 * entries the first stays.
 */
function withoutRedundant(entries: CeilingIntent[]): CeilingIntent[] {
  const within = (x: CeilingIntent, y: CeilingIntent) => ceilingWithin([x], [y]);
  return entries.filter(
    (e, i) => !entries.some((o, j) => j !== i && within(e, o) && (j < i || !within(o, e))),
  );
}

/** Every request both ceilings admit, as one ceiling. */
export function intersectCeilings(a: readonly CeilingIntent[], b: readonly CeilingIntent[]): CeilingIntent[] {
  const out: CeilingIntent[] = [];
  for (const x of a) {
    for (const y of b) {
      const both = intersectEntries(x, y);
      if (both) out.push(both);
    }
  }
  return withoutRedundant(out);
}

/**
 * A task's effective ceiling: its own intersected with each ancestor's (narrowing a task narrows everything it
 * delegated). Shown on `GET /v1/tasks/{id}`; issuance checks the levels one by one (`withinEffectiveCeiling`).
 */
export function effectiveCeiling(
  own: readonly CeilingIntent[],
  ancestors: readonly (readonly CeilingIntent[])[],
): CeilingIntent[] {
  return ancestors.reduce<CeilingIntent[]>((acc, c) => intersectCeilings(acc, c), [...own]);
}

/** Whether a request is inside the task's ceiling and every ancestor's. */
export function withinEffectiveCeiling(
  intent: Intent,
  own: readonly CeilingIntent[],
  ancestors: readonly (readonly CeilingIntent[])[],
): boolean {
  return intentWithinCeiling(intent, own) && ancestors.every((c) => intentWithinCeiling(intent, c));
}
