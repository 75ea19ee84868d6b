import { describe, expect, it } from "vitest";
import { DEFAULT_DENY, POLICY_ERROR, REQUEST_REJECTED } from "./annotations.js";
import { decideWith } from "./decide.js";
import { activeSet, request } from "./test-support.js";

const permit = (id: string, annotations: string, action: string, when = "true") =>
  `@id("${id}")\n${annotations}\npermit (principal, action == Leash::Action::"${action}", resource) when { ${when} };`;

describe("decideWith: reasons and obligations", () => {
  it("denies by default, saying so, with no obligations", async () => {
    const { active } = await activeSet({ "a.cedar": permit("write-only", "", "write") });
    expect(decideWith(active, request())).toEqual({
      allowed: false,
      reasons: [DEFAULT_DENY],
      maxTtlSeconds: undefined,
      approvalRequired: false,
      scopeHints: [],
      errors: [],
    });
  });

  it("allows with the @ids of every satisfied permit and the minimum @max_ttl over them", async () => {
    const { active } = await activeSet({
      "a.cedar": permit("long", `@max_ttl("3600")`, "read"),
      "b.cedar": permit("short", `@max_ttl("600")`, "read"),
      "c.cedar": permit("uncapped", "", "read"),
      "d.cedar": permit("not-satisfied", `@max_ttl("60")`, "read", "context.ttl_seconds > 100000"),
    });
    const decision = decideWith(active, request());
    expect(decision).toMatchObject({
      allowed: true,
      reasons: ["long", "short", "uncapped"],
      maxTtlSeconds: 600,
    });
  });

  it("leaves maxTtlSeconds undefined when no satisfied permit caps it", async () => {
    const { active } = await activeSet({ "a.cedar": permit("uncapped", "", "read") });
    expect(decideWith(active, request()).maxTtlSeconds).toBeUndefined();
  });

  it("requires approval when any satisfied permit asks for it, and collects scope hints", async () => {
    const { active } = await activeSet({
      "a.cedar": permit("plain", `@scope("prefix:reports/")`, "read"),
      "b.cedar": permit("stepup", `@approval("required")\n@scope("read-only")`, "read"),
      "c.cedar": permit("same-scope", `@scope("read-only")`, "read"),
    });
    const decision = decideWith(active, request());
    expect(decision).toMatchObject({ allowed: true, approvalRequired: true });
    expect(decision.scopeHints.sort()).toEqual(["prefix:reports/", "read-only"]);
    expect(decideWith(active, request({ intent: { action: "list" } })).approvalRequired).toBe(false);
  });

  it("names the forbids that denied, and drops the permits' obligations", async () => {
    const { active } = await activeSet({
      "a.cedar": permit("read", `@max_ttl("600")\n@approval("required")`, "read"),
      "b.cedar": `@id("no-prod") forbid (principal, action, resource) when { context.environment == "production" };`,
      "c.cedar": `@id("no-deep") forbid (principal, action, resource) when { context.task.depth > 2 };`,
    });
    expect(decideWith(active, request({ task: { ...request().task, depth: 3 } }))).toMatchObject({
      allowed: false,
      reasons: ["no-deep", "no-prod"],
      maxTtlSeconds: undefined,
      approvalRequired: false,
    });
    expect(decideWith(active, request({ environment: "staging" }))).toMatchObject({ allowed: true });
  });

  it("fails closed on an evaluation error even when a permit is satisfied (the erroring forbid is skipped by Cedar)", async () => {
    const { active } = await activeSet({
      "a.cedar": permit("read", "", "read"),
      "b.cedar": `@id("overflow") forbid (principal, action, resource) when { context.ttl_seconds * 9223372036854775807 < 0 };`,
    });
    const decision = decideWith(active, request());
    expect(decision).toMatchObject({ allowed: false, reasons: [POLICY_ERROR] });
    expect(decision.errors).toEqual([expect.stringMatching(/^overflow: .*overflow/)]);
  });

  it("denies a request with a number Cedar cannot take, even one no policy reads", async () => {
    const { active } = await activeSet({ "a.cedar": permit("read", "", "read") });
    const decision = decideWith(active, request({ ttlSeconds: Number.NaN }));
    expect(decision).toMatchObject({ allowed: false, reasons: [REQUEST_REJECTED] });
    expect(decision.errors.length).toBeGreaterThan(0);
  });

  it("sends an action the schema does not declare as 'other', which forbids on 'any' still see", async () => {
    const { active } = await activeSet({
      "a.cedar": `@id("any") permit (principal, action in Leash::Action::"any", resource) when { context.action_name == "s3:GetObject" };`,
      "b.cedar": `@id("other") forbid (principal, action == Leash::Action::"other", resource) when { resource.sensitivity_rank > 0 };`,
    });
    expect(decideWith(active, request({ intent: { action: "s3:GetObject" } }))).toMatchObject({
      allowed: true,
      reasons: ["any"],
    });
    expect(
      decideWith(active, request({ intent: { action: "s3:GetObject", sensitivity: "internal" } })),
    ).toMatchObject({
      allowed: false,
      reasons: ["other"],
    });
    expect(decideWith(active, request({ intent: { action: "Read" } })).allowed).toBe(false);
  });

  it("applies a policy whose scope is a list of actions to each of them only", async () => {
    const { active } = await activeSet({
      "a.cedar": `@id("rl") permit (principal, action in [Leash::Action::"read", Leash::Action::"list"], resource);`,
    });
    expect(decideWith(active, request({ intent: { action: "read" } })).allowed).toBe(true);
    expect(decideWith(active, request({ intent: { action: "list" } })).allowed).toBe(true);
    expect(decideWith(active, request({ intent: { action: "write" } })).allowed).toBe(false);
  });

  it("exposes agent labels both as a set of key=value strings and as tags", async () => {
    const { active } = await activeSet({
      "a.cedar": `@id("set") permit (principal, action == Leash::Action::"read", resource) when { principal.labels.contains("team=pay") };`,
      "b.cedar": `@id("tag") permit (principal, action == Leash::Action::"read", resource) when { principal.hasTag("team") && principal.getTag("team") == "pay" };`,
    });
    const agent = { ...request().agent, labels: { team: "pay" } };
    expect(decideWith(active, request({ agent })).reasons).toEqual(["set", "tag"]);
    expect(decideWith(active, request()).allowed).toBe(false);
  });
});
