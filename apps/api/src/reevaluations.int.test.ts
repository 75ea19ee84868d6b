import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/**
 * The API side of re-evaluation: who may order one, what is refused before any work starts (no policy set, a
 * candidate that does not load), and that each accepted reload starts one while a rejected one starts none. The
 * worker that runs them is exercised end to end (test/e2e/reevaluation.test.ts).
 */
const POLICIES = new URL("./testing/policies", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "leash-reeval-policy-"));
cpSync(POLICIES, dir, { recursive: true });
const TEST_CEDAR = readFileSync(join(POLICIES, "test.cedar"), "utf8");

let t: TestApp;
let bare: TestApp;
let security: string;
let agent: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { LEASH_POLICY_DIR: dir });
  bare = await createTestApp(inject("redisUrl"));
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/a" });
});
afterAll(async () => {
  await t?.close();
  await bare?.close();
});

type Run = { id: string; state: string; trigger: string; requested_by: string; policy_set: string };
const runs = async (app: TestApp) =>
  ((await (await app.request("GET", "/v1/reevaluations", security)).json()) as { items: Run[] }).items;

describe("POST /v1/reevaluations", () => {
  it("starts one for a security caller (202), listed and readable with its counts by policy", async () => {
    const res = await t.request("POST", "/v1/reevaluations", security, {});
    expect(res.status).toBe(202);
    const run = (await res.json()) as Run & { checked: number; denied: number; revoked: number };
    expect(run).toMatchObject({
      state: "running",
      trigger: "request",
      requested_by: "spiffe://t/security/sam",
      checked: 0,
      denied: 0,
      revoked: 0,
    });
    expect(run.policy_set).toBe(t.ctx.policySnapshot()?.id);
    expect((await runs(t)).map((r) => r.id)).toContain(run.id);
    const one = await t.request("GET", `/v1/reevaluations/${run.id}`, security);
    expect(await one.json()).toMatchObject({ id: run.id, by_policy: {} });
    expect((await t.request("GET", "/v1/reevaluations/re_unknown", security)).status).toBe(404);
  });

  it("is for the security team only", async () => {
    expect((await t.request("POST", "/v1/reevaluations", agent, {})).status).toBe(403);
    expect((await t.request("GET", "/v1/reevaluations", agent)).status).toBe(403);
  });

  it("answers 409 without a policy set", async () => {
    const token = await bare.issuer.mint({ sub: "spiffe://t/security/sam" });
    const res = await bare.request("POST", "/v1/reevaluations", token, { dry_run: true });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: "urn:leash:problem:conflict" });
  });

  it("refuses a candidate that does not load, naming file, line and problem, and one without dry_run", async () => {
    const bad = await t.request("POST", "/v1/reevaluations", security, {
      dry_run: true,
      policies: { "next.cedar": `@id("ok")\npermit (principal, action, resource)\nwhen { context.nope };` },
    });
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { type: string; detail: string; reasons: string[] };
    expect(problem.type).toBe("urn:leash:problem:invalid_request");
    expect(problem.detail).toMatch(/next\.cedar:3:\d+: .*nope/);
    expect(problem.reasons[0]).toMatch(/^next\.cedar:3:/);
    const notDry = await t.request("POST", "/v1/reevaluations", security, {
      policies: { "a.cedar": TEST_CEDAR },
    });
    expect(notDry.status).toBe(400);
    const badName = await t.request("POST", "/v1/reevaluations", security, {
      dry_run: true,
      policies: { "../a.cedar": TEST_CEDAR },
    });
    expect(badName.status).toBe(400);
  });
});

describe("policy reloads", () => {
  it("each accepted reload starts one (trigger reload, by leash); a rejected reload starts none", async () => {
    const before = (await runs(t)).length;
    const first = t.ctx.policySnapshot()?.id;
    writeFileSync(
      join(dir, "extra.cedar"),
      `@id("no-lists")\nforbid (principal, action == Leash::Action::"list", resource);\n`,
    );
    const reload = await waitFor(async () => (await runs(t)).find((r) => r.trigger === "reload"), {
      timeoutMs: 10_000,
      what: "the reload's re-evaluation",
    });
    expect(reload).toMatchObject({ requested_by: "leash", state: "running" });
    expect(reload.policy_set).not.toBe(first);
    expect(reload.policy_set).toBe(t.ctx.policySnapshot()?.id);
    expect((await runs(t)).length).toBe(before + 1);

    const reloads = t.ctx.policyStats()?.reloadErrors ?? 0;
    writeFileSync(join(dir, "broken.cedar"), "permit (principal, action, resource"); // not a policy
    await waitFor(async () => ((t.ctx.policyStats()?.reloadErrors ?? 0) > reloads ? true : undefined), {
      timeoutMs: 10_000,
      what: "the rejected reload",
    });
    expect((await runs(t)).length).toBe(before + 1);
  });
});
