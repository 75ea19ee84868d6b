import { z } from "zod";
import type { SchemaJson } from "./cedar.js";

export const NAMESPACE = "Leash";
export const ACTION_TYPE = `${NAMESPACE}::Action`;
/** Where an intent action the schema does not declare goes: policies on `any` still see it, none permit it. */
export const OTHER_ACTION = "other";

/** Concrete actions (those a request can carry) mapped to all the action groups they are in. */
export type ActionHierarchy = ReadonlyMap<string, readonly string[]>;

/** The actions a policy's scope can match: every action, one exactly (`==`), or these and their members (`in`). */
export type ActionScope =
  | { kind: "all" }
  | { kind: "eq"; id: string }
  | { kind: "in"; ids: readonly string[] };

/**
 * Reads the action hierarchy from the schema. The schema is the one list of actions: an intent action is sent
 * to Cedar as itself when the schema declares it and as "other" otherwise.
 */
export function readActionHierarchy(schema: SchemaJson<string>): {
  actions: ActionHierarchy;
  problems: string[];
} {
  const declared = schema[NAMESPACE]?.actions ?? {};
  const parentsOf = (id: string): string[] =>
    (declared[id]?.memberOf ?? [])
      .filter((ref) => ref.type === undefined || ref.type === ACTION_TYPE || ref.type === "Action")
      .map((ref) => ref.id);

  const actions = new Map<string, string[]>();
  for (const [id, action] of Object.entries(declared)) {
    if ((action.appliesTo?.principalTypes.length ?? 0) === 0) continue;
    const ancestors = new Set<string>();
    const pending = parentsOf(id);
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (ancestors.has(next) || next === id) continue;
      ancestors.add(next);
      pending.push(...parentsOf(next));
    }
    actions.set(id, [...ancestors]);
  }
  const problems: string[] = [];
  if (!actions.has(OTHER_ACTION)) {
    problems.push(
      `the schema must declare action "${OTHER_ACTION}" in namespace ${NAMESPACE} (undeclared actions go there)`,
    );
  }
  return { actions, problems };
}

const ActionUid = z.union([
  z.object({ type: z.literal(ACTION_TYPE), id: z.string() }),
  z
    .object({ __entity: z.object({ type: z.literal(ACTION_TYPE), id: z.string() }) })
    .transform((r) => r.__entity),
]);
const ActionConstraint = z.union([
  z
    .object({ op: z.literal("=="), entity: ActionUid })
    .transform((c): ActionScope => ({ kind: "eq", id: c.entity.id })),
  z
    .object({ op: z.literal("in"), entity: ActionUid })
    .transform((c): ActionScope => ({ kind: "in", ids: [c.entity.id] })),
  z
    .object({ op: z.literal("in"), entities: z.array(ActionUid) })
    .transform((c): ActionScope => ({ kind: "in", ids: c.entities.map((e) => e.id) })),
]);

/**
 * Reads the action constraint of a policy in Cedar's JSON policy format. Anything else ("All", or a shape not
 * understood) is "all": keeping a policy in every partition is always safe, leaving it out never is.
 */
export function actionScopeOf(constraint: unknown): ActionScope {
  const parsed = ActionConstraint.safeParse(constraint);
  return parsed.success ? parsed.data : { kind: "all" };
}

/** Whether a policy with this scope can match a request for `action` (a member of `ancestors`). */
export function scopeIncludes(scope: ActionScope, action: string, ancestors: readonly string[]): boolean {
  switch (scope.kind) {
    case "all":
      return true;
    case "eq":
      return scope.id === action;
    case "in":
      return scope.ids.some((id) => id === action || ancestors.includes(id));
  }
}
