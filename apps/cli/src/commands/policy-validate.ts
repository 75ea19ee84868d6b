import { loadPolicyDir, PolicyLoadError } from "@leash/policy";
import { type Command, EXIT, parse } from "./support/command.js";
import { outPaint, writeJson } from "./support/io.js";
import {
  EXAMPLE_POLICY_DIR,
  policyDirOf,
  problemLine,
  problemsJson,
  writeLoadError,
} from "./support/policy-set.js";

const HELP = `leash policy validate — check a Cedar policy directory as the broker would load it

Usage:
  leash policy validate [dir] [--json]

Parses every *.cedar file of the directory and validates the set against its schema.cedarschema in strict mode,
with Leash's annotation rules (@id, @max_ttl, @approval, @scope). Reports every problem at once as
file:line:column: message. Nothing is contacted: run it in the CI of a policy repository.

  dir      the policy directory (default: LEASH_POLICY_DIR, else ${EXAMPLE_POLICY_DIR})

Options:
  --json   {"ok": true, "dir", "policies", "files", "warnings"} or {"ok": false, "dir", "problems"}
           (each problem and warning is {"file", "line", "column", "message"})

Exit codes: 0 the set is valid (warnings do not fail it), 1 it is not, 2 usage error.

Examples:
  pnpm leash policy validate infra/policies
  leash policy validate ./policies --json | jq -r '.problems[]? | "\\(.file):\\(.line): \\(.message)"'
`;

export const policyValidate: Command = {
  path: ["policy", "validate"],
  summary: "check a policy directory (file:line of every problem)",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: "boolean" } }, 1);
    const dir = policyDirOf(positionals[0], io.env);
    const json = values.json === true;
    const p = outPaint(io);
    let set: Awaited<ReturnType<typeof loadPolicyDir>>;
    try {
      set = await loadPolicyDir(dir);
    } catch (error) {
      if (!(error instanceof PolicyLoadError)) throw error;
      writeLoadError(io, p, dir, error, json);
      return EXIT.failure;
    }
    if (json) {
      writeJson(io, {
        ok: true,
        dir,
        policies: set.policies.size,
        files: set.files.length,
        warnings: problemsJson(set.warnings),
      });
      return EXIT.ok;
    }
    const policies = `${set.policies.size} ${set.policies.size === 1 ? "policy" : "policies"}`;
    const files = `${set.files.length} ${set.files.length === 1 ? "file" : "files"}`;
    io.stdout.write(`${p.green(`${dir}: valid`)}, ${policies} in ${files}\n`);
    for (const warning of set.warnings) io.stdout.write(`${p.yellow("warning:")} ${problemLine(warning)}\n`);
    return EXIT.ok;
  },
};
