import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../../../test/support/stack.js";
import { type CliRun, runCli } from "./testing/run-cli.js";

const EXAMPLES = join(REPO_ROOT, "infra/policies");
const root = mkdtempSync(join(tmpdir(), "leash-cli-policy-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the example set, with `files` written into it. */
function policyCopy(name: string, files: Record<string, string> = {}): string {
  const dir = join(root, name);
  cpSync(EXAMPLES, dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

let stack: Stack | undefined;
let securityToken = "";

/** The CLI with this test's API, token and config directory, and `env` over them. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, {
    XDG_CONFIG_HOME: root,
    LEASH_API_URL: stack?.api ?? "",
    LEASH_TOKEN: securityToken,
    ...env,
  });
}

// Each case starts CLI processes (tsx, then the Cedar engine): slow on a loaded machine, hence the timeouts.
describe("leash policy validate", { timeout: 60_000 }, () => {
  it("a valid directory: exit 0 with the count; an invalid one: exit 1 with every problem's file:line", async () => {
    const bad = policyCopy("bad", {
      "broken.cedar":
        '@id("broken")\npermit (principal, action == Leash::Action::"read", resource)\nwhen { resource.no_such_attribute == 1 };\n',
      "unparsable.cedar": '@id("half")\npermit (principal, action, resource\n',
    });
    const [good, invalid, json] = await Promise.all([
      cli(["policy", "validate", "infra/policies"]),
      cli(["policy", "validate", bad]),
      cli(["policy", "validate", bad, "--json"]),
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toBe("infra/policies: valid, 5 policies in 5 files\n");
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain(`${bad}: invalid (2 problems)`);
    expect(invalid.stdout).toMatch(
      new RegExp(`^${join(bad, "broken.cedar")}:3:\\d+: .*no_such_attribute`, "m"),
    );
    expect(invalid.stdout).toMatch(new RegExp(`^${join(bad, "unparsable.cedar")}:\\d+:\\d+: `, "m"));
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; problems: { file: string; line: number }[] };
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.file).sort()).toEqual([
      join(bad, "broken.cedar"),
      join(bad, "unparsable.cedar"),
    ]);
  });

  it("defaults to LEASH_POLICY_DIR", async () => {
    const run = await cli(["policy", "validate"], { LEASH_POLICY_DIR: join(root, "missing") });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(root, "missing", "schema.cedarschema")}:0:0: cannot read`);
  });
});

describe("leash policy test", { timeout: 60_000 }, () => {
  it("passes the example set's own cases; a failing case exits 1 and says what differed", async () => {
    const cases = join(root, "cases.json");
    writeFileSync(
      cases,
      JSON.stringify([
        {
          name: "public reads pass",
          request: { intent: { action: "read", resource: "a", sensitivity: "public" } },
          expect: "allow",
        },
        {
          name: "deletes are wrongly expected",
          request: { intent: { action: "delete", resource: "a" } },
          expect: "allow",
        },
      ]),
    );
    const [passing, failing, json] = await Promise.all([
      cli(["policy", "test", "infra/policies/tests.json"]),
      cli(["policy", "test", cases, "--dir", "infra/policies"]),
      cli(["policy", "test", cases, "--json"]),
    ]);
    expect(passing.code, passing.stdout).toBe(0);
    const total = (JSON.parse(readFileSync(join(EXAMPLES, "tests.json"), "utf8")) as { cases: unknown[] })
      .cases.length;
    expect(passing.stdout).toContain(`${total} passed, 0 failed`);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain("PASS  public reads pass\n");
    expect(failing.stdout).toContain(
      "FAIL  deletes are wrongly expected\n      expected allow, got deny (reasons: default-deny)\n",
    );
    expect(failing.stdout).toContain("1 passed, 1 failed");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ passed: 1, failed: 1 });
  });
});

describe("leash policy what-if", { timeout: 60_000 }, () => {
  // The candidate tightens the example set: reads are capped at 10 minutes, and reports are no longer readable.
  let candidate: string;
  beforeAll(async () => {
    candidate = policyCopy("candidate", {
      "read-baseline.cedar": readFileSync(join(EXAMPLES, "read-baseline.cedar"), "utf8").replace(
        '@max_ttl("3600")',
        '@max_ttl("600")',
      ),
      "reports.cedar":
        '@id("no-reports")\nforbid (principal, action in Leash::Action::"any", resource)\nwhen { resource.id like "reports/*" };\n',
    });
    stack = await startStack({ redisUrl: inject("redisUrl"), env: { LEASH_POLICY_DIR: EXAMPLES } });
    securityToken = await stack.token(SECURITY);
    const agent = agentId("what-if");
    const orch = await stack.token(ORCHESTRATOR);
    const task = await stack.call("POST", "/v1/tasks", orch, {
      agent,
      ceiling: [
        { action: "read", resource: "docs/*" },
        { action: "read", resource: "reports/*" },
        { action: "write", resource: "docs/*" },
      ],
      ttl_seconds: 600,
    });
    const { id } = (await task.json()) as { id: string };
    const token = await stack.token(agent);
    const ask = (intent: Record<string, unknown>) =>
      stack
        ?.call("POST", "/v1/leases", token, { task_id: id, provider: "leash-jwt", intent })
        .then((r) => r.status);
    // Sequential: the audit trail keeps them in this order.
    expect(await ask({ action: "read", resource: "docs/a", sensitivity: "public" })).toBe(201);
    expect(await ask({ action: "read", resource: "reports/q4", sensitivity: "internal" })).toBe(201);
    expect(await ask({ action: "write", resource: "docs/b", sensitivity: "confidential" })).toBe(202);
    expect(await ask({ action: "read", resource: "docs/c", sensitivity: "confidential" })).toBe(403);
    expect(await ask({ action: "delete", resource: "tmp/x", sensitivity: "public" })).toBe(403); // ceiling
  }, 90_000);
  afterAll(() => stack?.stop());

  const expectedChanges = [
    {
      type: "lease.issued",
      agent: agentId("what-if"),
      intent: { action: "read", resource: "docs/a", sensitivity: "public" },
      before: { decision: "allow", max_ttl_seconds: 3600, reasons: ["read-public-internal"] },
      after: { decision: "allow", max_ttl_seconds: 600, reasons: ["read-public-internal"], errors: [] },
    },
    {
      type: "lease.issued",
      agent: agentId("what-if"),
      intent: { action: "read", resource: "reports/q4", sensitivity: "internal" },
      before: { decision: "allow", max_ttl_seconds: 3600, reasons: ["read-public-internal"] },
      after: { decision: "deny", max_ttl_seconds: null, reasons: ["no-reports"], errors: [] },
    },
  ];

  it("lists the recorded decisions a stricter set would change, and exits 1", async () => {
    const [json, text] = await Promise.all([
      cli(["policy", "what-if", candidate, "--since", "1h", "--json"]),
      cli(["policy", "what-if", candidate]),
    ]);
    expect(json.code, json.stderr).toBe(1);
    const report = JSON.parse(json.stdout) as { changes: unknown[] };
    expect(report).toMatchObject({ candidate, replayed: 4, skipped: 1, changed: 2 });
    expect(report.changes).toMatchObject(expectedChanges);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(
      /^EVENT\s+TYPE\s+AGENT\s+INTENT\s+RECORDED\s+CANDIDATE\s+CANDIDATE REASONS$/m,
    );
    expect(text.stdout).toMatch(
      /lease\.issued\s+\S+\s+read:docs\/a\s+allow \(max 3600s\)\s+allow \(max 600s\)/,
    );
    expect(text.stdout).toMatch(/read:reports\/q4\s+allow \(max 3600s\)\s+deny\s+no-reports/);
    expect(text.stdout).toContain(`2 of 4 recorded decisions would change under ${candidate}`);
  });

  it("the set that made the decisions changes nothing (exit 0); an invalid candidate is exit 2", async () => {
    const broken = policyCopy("broken-candidate", { "x.cedar": "permit (principal, action, resource" });
    const [same, invalid] = await Promise.all([
      cli(["policy", "what-if", "infra/policies"]),
      cli(["policy", "what-if", broken]),
    ]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toBe(
      "no change: 4 recorded decisions decide the same under infra/policies; 1 decision event without a recorded policy request skipped\n",
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toMatch(new RegExp(`^${join(broken, "x.cedar")}:1:\\d+: `, "m"));
  });

  it("replays an export file without the API", async () => {
    const file = join(root, "audit.ndjson");
    const exported = await cli(["audit", "export", "-o", file]);
    expect(exported.code, exported.stderr).toBe(0);
    const offline = { LEASH_API_URL: "http://127.0.0.1:9", LEASH_TOKEN: "" };
    const run = await cli(["policy", "what-if", candidate, "--from-file", file, "--json"], offline);
    expect(run.code, run.stderr).toBe(1);
    expect((JSON.parse(run.stdout) as { changes: unknown[] }).changes).toMatchObject(expectedChanges);
  });
});
