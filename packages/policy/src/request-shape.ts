import type { PolicyRequest } from "@leash/core";
import { ACTION_TYPE, type ActionHierarchy, NAMESPACE } from "./actions.js";
import { checkParseContext, checkParseEntities, type SchemaJson } from "./cedar.js";
import { toCedarRequest } from "./request.js";

const PROBE_FULL: PolicyRequest = {
  agent: { id: "probe", trustDomain: "example.org", path: "/probe", labels: { team: "probe" } },
  intent: {
    action: "probe",
    resource: "probe",
    tool: "probe",
    sensitivity: "internal",
    destination: "probe",
    purpose: "probe",
  },
  task: {
    id: "probe",
    labels: { k: "v" },
    remainingSeconds: 60,
    depth: 1,
    chain: ["parent"],
    breakGlass: false,
  },
  provider: "leash-jwt",
  target: "probe",
  ttlSeconds: 60,
  environment: "probe",
  now: new Date(0),
  exposure: { liveLeases: 0 },
};

const PROBE_MINIMAL: PolicyRequest = {
  ...PROBE_FULL,
  agent: { id: "probe", trustDomain: null, path: null, labels: {} },
  intent: { action: "probe", resource: "probe" },
  task: { ...PROBE_FULL.task, labels: {}, chain: [] },
  target: null,
};

/**
 * Checks that the requests Leash builds conform to the schema, with every optional value present and with
 * all of them absent. Done once at load so decisions can skip per-request validation: a schema edited out of
 * step with Leash (say, a new required attribute) is a load error instead of a deny on every request.
 */
export function checkRequestShape(schema: SchemaJson<string>, actions: ActionHierarchy): string[] {
  const problems = new Set<string>();
  // Actions declared with the same context type accept the same contexts: check one of each.
  const byContext = new Map<string, string>();
  for (const action of actions.keys()) {
    const key = JSON.stringify(schema[NAMESPACE]?.actions[action]?.appliesTo?.context ?? null);
    if (!byContext.has(key)) byContext.set(key, action);
  }
  for (const probe of [PROBE_FULL, PROBE_MINIMAL]) {
    const request = toCedarRequest(probe, actions);
    for (const id of byContext.values()) {
      const action = { type: ACTION_TYPE, id };
      const context = checkParseContext({ context: request.context, schema, action });
      if (context.type === "failure") for (const e of context.errors) problems.add(`context: ${e.message}`);
    }
    // With a schema, Cedar takes the action entities from it.
    const others = request.entities.filter((e) => !("type" in e.uid && e.uid.type === ACTION_TYPE));
    const entities = checkParseEntities({ entities: others, schema });
    if (entities.type === "failure") for (const e of entities.errors) problems.add(`entities: ${e.message}`);
  }
  return [...problems].map((p) => `the schema does not describe the requests Leash sends: ${p}`);
}
