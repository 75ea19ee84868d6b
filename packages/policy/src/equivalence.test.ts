import type { PolicyRequest, Sensitivity } from "@leash/core";
import { describe, expect, it } from "vitest";
import { ACTION_TYPE } from "./actions.js";
import { preparsePolicySet, preparseSchema, statefulIsAuthorized } from "./cedar.js";
import type { CompiledPolicySet } from "./compile.js";
import { type ActivePolicySet, decideWith } from "./decide.js";
import { loadPolicyDir } from "./load.js";
import { toCedarRequest } from "./request.js";
import { activeSet, EXAMPLES_DIR, request } from "./test-support.js";
import { attributeUsage, combineUsage, pruneRecord } from "./usage.js";

/** Policies that exercise every way a policy can reach into a request. */
const VARIETY = {
  "scopes.cedar": `
@id("eq-read") permit (principal, action == Leash::Action::"read", resource) when { resource.sensitivity_rank <= 2 };
@id("in-list") permit (principal, action in [Leash::Action::"write", Leash::Action::"delete"], resource)
  when { principal has trust_domain && principal.trust_domain == "corp.example" };
@id("in-any") forbid (principal, action in Leash::Action::"any", resource) when { context.task.chain.contains("evil") };
@id("unscoped") permit (principal, action, resource) when { context.action_name like "s3:*" && context.provider == "aws-sts" };
@id("other-only") forbid (principal, action == Leash::Action::"other", resource) when { context has target };`,
  "reads.cedar": `
@id("tags") permit (principal, action == Leash::Action::"invoke", resource)
  when { principal.hasTag("team") && principal.getTag("team") == "t1" && resource has tool };
@id("nested-has") forbid (principal, action == Leash::Action::"invoke", resource) when { context has task.break_glass && context.task.break_glass };
@id("time") forbid (principal, action == Leash::Action::"list", resource) when { context.time.hour < 6 && context.time.epoch_seconds > 0 };
@id("purpose") permit (principal, action == Leash::Action::"list", resource) when { context has purpose && context.purpose like "*audit*" };
@id("labels") forbid (principal, action == Leash::Action::"read", resource) when { context.task.labels.contains("project=secret") };
@id("ttl") forbid (principal, action == Leash::Action::"write", resource) when { context.ttl_seconds > 1800 && context.task.remaining_seconds < 60 };
@id("principal-eq") permit (principal == Leash::Agent::"agent-3", action == Leash::Action::"admin", resource);
@id("whole-record") forbid (principal, action == Leash::Action::"delete", resource) when { context.exposure == {"live_leases": 5} };
@id("whole-nested") permit (principal, action == Leash::Action::"delete", resource) when { context.task.labels == ["project=secret"] || context.time.weekday == 3 };`,
};

function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRequests(count: number, seed: number): PolicyRequest[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const maybe = <T>(value: T): T | undefined => (random() < 0.5 ? value : undefined);
  const sensitivities: Array<Sensitivity | undefined> = [
    "public",
    "internal",
    "confidential",
    "restricted",
    undefined,
  ];
  return Array.from({ length: count }, (): PolicyRequest => {
    const base = request();
    const labels: Record<string, string> = random() < 0.5 ? { team: pick(["t1", "t2"]) } : {};
    return {
      ...base,
      agent: {
        id: `agent-${Math.floor(random() * 5)}`,
        trustDomain: random() < 0.7 ? pick(["corp.example", "other.example"]) : null,
        path: maybe("/agents/x") ?? null,
        labels,
      },
      intent: {
        action: pick(["read", "write", "delete", "list", "invoke", "admin", "s3:GetObject", "Read"]),
        resource: `res-${Math.floor(random() * 4)}`,
        tool: maybe("tool-1"),
        sensitivity: pick(sensitivities),
        destination: maybe(pick(["warehouse.internal", "pastebin.example"])),
        purpose: maybe(pick(["yearly audit", "report"])),
      },
      task: {
        id: "task",
        labels: random() < 0.3 ? { project: "secret" } : {},
        remainingSeconds: Math.floor(random() * 120),
        depth: Math.floor(random() * 4),
        chain: random() < 0.2 ? ["evil"] : ["good"],
        breakGlass: random() < 0.3,
      },
      provider: pick(["aws-sts", "vault", "leash-jwt"] as const),
      target: maybe("role") ?? null,
      ttlSeconds: pick([300, 3600]),
      now: new Date(Date.UTC(2025, 0, 1 + Math.floor(random() * 14), Math.floor(random() * 24))),
      exposure: { liveLeases: Math.floor(random() * 30) },
    };
  });
}

let references = 0;

/** Cedar's plain path: the whole set in one, the schema, request validation on, nothing left out. */
function referenceFor(compiled: CompiledPolicySet) {
  references += 1;
  const name = `reference-${references}`;
  const staticPolicies = Object.fromEntries([...compiled.policies.values()].map((p) => [p.id, p.text]));
  expect(preparsePolicySet(name, { staticPolicies }).type).toBe("success");
  expect(preparseSchema(name, compiled.schema.text).type).toBe("success");
  return (req: PolicyRequest) => reference(name, compiled, req);
}

function reference(name: string, compiled: CompiledPolicySet, req: PolicyRequest) {
  const { principal, action, resource, context, entities } = toCedarRequest(req, compiled.actions);
  const answer = statefulIsAuthorized({
    principal,
    action,
    resource,
    context,
    entities: entities.filter((e) => !("type" in e.uid && e.uid.type === ACTION_TYPE)),
    preparsedPolicySetId: name,
    preparsedSchemaName: name,
    validateRequest: true,
  });
  if (answer.type === "failure") throw new Error(answer.errors.map((e) => e.message).join("; "));
  expect(answer.response.diagnostics.errors).toEqual([]);
  const allowed = answer.response.decision === "allow";
  return { allowed, reasons: [...answer.response.diagnostics.reason].sort() };
}

function expectSameDecisions(
  compiled: CompiledPolicySet,
  active: ActivePolicySet,
  requests: PolicyRequest[],
) {
  const decide = referenceFor(compiled);
  let allowed = 0;
  for (const req of requests) {
    const expected = decide(req);
    const actual = decideWith(active, req);
    expect({ allowed: actual.allowed, reasons: actual.reasons.filter((r) => r !== "default-deny") }).toEqual(
      expected,
    );
    if (actual.allowed) allowed += 1;
  }
  // Both outcomes occur, so the comparison says something.
  expect(allowed).toBeGreaterThan(0);
  expect(allowed).toBeLessThan(requests.length);
}

describe("per-action partitions and unread attributes left out never change a decision", () => {
  it("decides like Cedar's unoptimised path on the example set", async () => {
    const compiled = await loadPolicyDir(EXAMPLES_DIR);
    const { active } = await activeSet(
      Object.fromEntries([...compiled.policies.values()].map((p) => [p.file + p.id, p.text])),
    );
    expectSameDecisions(compiled, active, randomRequests(300, 1));
  });

  it("decides like Cedar's unoptimised path on policies using every kind of scope and attribute access", async () => {
    const { compiled, active } = await activeSet(VARIETY);
    expectSameDecisions(compiled, active, randomRequests(400, 2));
  });

  it("sends everything when a policy uses the context as a whole value", () => {
    const usage = attributeUsage({
      conditions: [{ kind: "when", body: { "==": { left: { Var: "context" }, right: { Record: {} } } } }],
    });
    expect(usage.all).toBe(true);
    const named = attributeUsage({
      conditions: [{ kind: "when", body: { has: { left: { Var: "context" }, attr: ["task", "depth"] } } }],
    });
    expect(named).toMatchObject({ all: false, names: new Set(["task", "depth"]), tags: false });
  });

  it("prunes inside a record only when no policy uses the record as a whole value", () => {
    const depth = { ".": { left: { ".": { left: { Var: "context" }, attr: "task" } }, attr: "depth" } };
    const inner = attributeUsage({
      conditions: [{ kind: "when", body: { ">": { left: depth, right: { Value: 3 } } } }],
    });
    expect(inner.whole.has("task")).toBe(false);
    const context = {
      task: { id: "t-1", depth: 2, labels: [] },
      time: { hour: 1 },
      exposure: { live_leases: 4 },
    };
    expect(pruneRecord(context, inner)).toEqual({ task: { depth: 2 } });
    const whole = attributeUsage({
      conditions: [
        {
          kind: "when",
          body: {
            "==": { left: { ".": { left: { Var: "context" }, attr: "exposure" } }, right: { Record: {} } },
          },
        },
      ],
    });
    expect(whole.whole).toEqual(new Set(["exposure"]));
    expect(pruneRecord(context, combineUsage([inner, whole]))).toEqual({
      task: { depth: 2 },
      exposure: { live_leases: 4 },
    });
  });
});
