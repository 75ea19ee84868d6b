import { clientFor } from "./support/client.js";
import { type Command, EXIT, parse } from "./support/command.js";
import { outPaint, writeJson } from "./support/io.js";

const HELP = `leash audit verify — check the audit log's hash chain (security role)

Usage:
  leash audit verify [--json]

Recomputes every event's hash from its content and its predecessor's hash. Exit 0 when the chain is intact;
exit 1 when an event was altered or events were removed, naming the first bad event.

Options:
  --json   {"ok", "checked", "first_bad"?: {"id", "reason"}}

Examples:
  leash audit verify
  leash audit verify --json || page-the-on-call
`;

export const auditVerify: Command = {
  path: ["audit", "verify"],
  summary: "check the audit log's hash chain (exit 1 if broken)",
  help: HELP,
  async run(argv, io) {
    const { values } = parse(argv, { json: { type: "boolean" } });
    const result = await clientFor(io).verifyAudit();
    if (values.json) writeJson(io, result);
    else {
      const p = outPaint(io);
      if (result.ok) io.stdout.write(`${p.green("audit log intact")}: ${result.checked} events verified\n`);
      else {
        const bad = result.first_bad;
        io.stdout.write(
          `${p.red("audit log BROKEN")} at event ${p.bold(bad?.id ?? "?")}: ${bad?.reason ?? "unknown reason"} ` +
            `(${result.checked} events before it verified)\n`,
        );
      }
    }
    return result.ok ? EXIT.ok : EXIT.failure;
  },
};
