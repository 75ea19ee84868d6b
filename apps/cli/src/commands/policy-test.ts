import { type PolicyCaseResult, runPolicyCases } from "@leash/policy";
import { type Command, EXIT, parse, UsageError } from "./support/command.js";
import { outPaint, type Paint, writeJson } from "./support/io.js";
import { EXAMPLE_POLICY_DIR, loadDecider, policyDirOf } from "./support/policy-set.js";

const HELP = `leash policy test — run expected decisions against a policy directory

Usage:
  leash policy test <cases.json> [--dir <dir>] [--json]

Each case is a request and the decision it must get: "allow", "deny" or "approval" (allowed after a person
approves), optionally the reasons (policy @ids) that must be among the decision's and the TTL cap. Every field of
a request but "intent" has a default (agent, task, provider, ttl_seconds, environment, now = a Monday 10:00 UTC,
exposure); a file may set its own "defaults". See infra/policies/tests.json and infra/policies/README.md.

Options:
  --dir <dir>   the policy directory (default: LEASH_POLICY_DIR, else ${EXAMPLE_POLICY_DIR})
  --json        {"file", "passed", "failed", "results": [{"name", "passed", "expected", "actual", "problems",
                "decision"}]}

Exit codes: 0 every case passed, 1 a case failed (or the set or the file did not load), 2 usage error.

Examples:
  pnpm leash policy test infra/policies/tests.json
  leash policy test cases.json --dir ./policies --json | jq '.results[] | select(.passed | not)'
`;

export function caseLines(result: PolicyCaseResult, p: Paint): string {
  if (result.passed) return `${p.green("PASS")}  ${result.name}\n`;
  const reasons =
    result.decision.reasons.length > 0 ? ` (reasons: ${result.decision.reasons.join(", ")})` : "";
  const details = result.problems.map((problem, i) => `      ${problem}${i === 0 ? reasons : ""}\n`);
  return `${p.red("FAIL")}  ${result.name}\n${details.join("")}`;
}

export const policyTest: Command = {
  path: ["policy", "test"],
  summary: "run expected decisions (a cases file) against a policy directory",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { dir: { type: "string" }, json: { type: "boolean" } }, 1);
    const file = positionals[0];
    if (!file) throw new UsageError("which cases file? leash policy test <cases.json>");
    const dir = policyDirOf(values.dir, io.env);
    const json = values.json === true;
    const p = outPaint(io);
    const decider = await loadDecider(io, p, dir, json);
    if (!decider) return EXIT.failure;
    const report = await runPolicyCases(decider, file);
    if (json) writeJson(io, report);
    else {
      for (const result of report.results) io.stdout.write(caseLines(result, p));
      const summary = `${report.passed} passed, ${report.failed} failed`;
      io.stdout.write(
        `${report.failed === 0 ? p.green(summary) : p.red(summary)} (${file} against ${dir})\n`,
      );
    }
    return report.failed === 0 ? EXIT.ok : EXIT.failure;
  },
};
