import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DecisionChange, PolicyCaseResult } from "@leash/policy";
import { afterAll, describe, expect, it } from "vitest";
import { caseLines } from "./policy-test.js";
import { changeRows, exportedEvents, isAfter, outcomeText } from "./policy-what-if.js";
import { paint } from "./support/io.js";
import { displayPath, policyDirOf, problemLine } from "./support/policy-set.js";

const plain = paint(false);
const dir = mkdtempSync(join(tmpdir(), "leash-cli-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("policy directory and problems", () => {
  it("takes the directory given, else LEASH_POLICY_DIR, else the example set", () => {
    expect(policyDirOf("mine", { LEASH_POLICY_DIR: "/etc/leash/policies" })).toBe("mine");
    expect(policyDirOf(undefined, { LEASH_POLICY_DIR: "/etc/leash/policies" })).toBe("/etc/leash/policies");
    expect(policyDirOf(undefined, { LEASH_POLICY_DIR: "" })).toBe("infra/policies");
  });

  it("names a problem as file:line:column relative to the working directory when under it", () => {
    const problem = { file: "/repo/policies/a.cedar", line: 3, column: 8, message: "unknown attribute" };
    expect(problemLine(problem, "/repo")).toBe("policies/a.cedar:3:8: unknown attribute");
    expect(problemLine(problem, "/elsewhere")).toBe("/repo/policies/a.cedar:3:8: unknown attribute");
    expect(displayPath("relative/x.cedar", "/repo")).toBe("relative/x.cedar");
  });
});

describe("policy test output", () => {
  const decision = {
    allowed: false,
    reasons: ["default-deny"],
    maxTtlSeconds: undefined,
    approvalRequired: false,
    scopeHints: [],
    errors: [],
  };
  it("one PASS line per passing case; a failure lists its problems with the decision's reasons", () => {
    const passed: PolicyCaseResult = {
      name: "reads",
      passed: true,
      expected: "deny",
      actual: "deny",
      problems: [],
      decision,
    };
    const failed: PolicyCaseResult = {
      ...passed,
      name: "writes",
      passed: false,
      expected: "allow",
      problems: ["expected allow, got deny", 'reason "w" missing'],
    };
    expect(caseLines(passed, plain)).toBe("PASS  reads\n");
    expect(caseLines(failed, plain)).toBe(
      'FAIL  writes\n      expected allow, got deny (reasons: default-deny)\n      reason "w" missing\n',
    );
  });
});

describe("policy what-if output", () => {
  const change: DecisionChange = {
    event_id: "1736157600000-3",
    ts: "2025-01-06T10:00:00.000Z",
    type: "lease.issued",
    agent: "spiffe://corp.example/agent/a",
    task_id: "tk_1",
    lease_id: "ls_1",
    intent: { action: "read", resource: "docs/a" },
    before: { decision: "allow", max_ttl_seconds: 3600, reasons: ["reads"] },
    after: { decision: "deny", max_ttl_seconds: null, reasons: ["no-pastebin"], errors: [] },
  };
  it("shows the verdict with its TTL cap, and the candidate's reasons", () => {
    expect(outcomeText(change.before)).toBe("allow (max 3600s)");
    expect(outcomeText({ decision: "approval", max_ttl_seconds: 900, reasons: [] })).toBe(
      "approval (max 900s)",
    );
    expect(outcomeText({ decision: "allow", max_ttl_seconds: null, reasons: [] })).toBe("allow");
    expect(changeRows([change], plain)).toEqual([
      [
        "1736157600000-3",
        "lease.issued",
        "spiffe://corp.example/agent/a",
        "read:docs/a",
        "allow (max 3600s)",
        "deny",
        "no-pastebin",
      ],
    ]);
  });

  it("orders stream ids numerically", () => {
    expect(isAfter("10-0", "9-0")).toBe(true);
    expect(isAfter("9-1", "9-0")).toBe(true);
    expect(isAfter("9-0", "9-0")).toBe(false);
    expect(isAfter("9-0", "10-0")).toBe(false);
  });

  it("reads an NDJSON export after --since, and names the line that is not JSON", async () => {
    const file = join(dir, "export.ndjson");
    writeFileSync(file, `${JSON.stringify({ id: "9-0" })}\n\n${JSON.stringify({ id: "10-0" })}\n`);
    const read = async (since?: string) => {
      const ids: unknown[] = [];
      for await (const e of exportedEvents(file, since)) ids.push((e as { id: string }).id);
      return ids;
    };
    expect(await read()).toEqual(["9-0", "10-0"]);
    expect(await read("9-0")).toEqual(["10-0"]);
    writeFileSync(file, `${JSON.stringify({ id: "9-0" })}\n{oops\n`);
    await expect(read()).rejects.toThrow(`${file}:2: not a JSON audit event`);
  });
});
