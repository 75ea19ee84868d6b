import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { clientFor } from "./support/client.js";
import { type Command, EXIT, parse } from "./support/command.js";
import { sinceCursor } from "./support/format.js";

const HELP = `leash audit export — every audit event as NDJSON (security role)

Usage:
  leash audit export [--since <when>] [--output <file>] > events.ndjson

Streams one JSON event per line, oldest first, to stdout (or --output). The count goes to stderr. If the
transfer breaks, run it again with --since set to the last id written.

Options:
  --since <when>       after an event id, a duration ago (15m, 2h, 7d) or a time (2026-01-31T12:00:00Z)
  -o, --output <file>  write to a file instead of stdout

Examples:
  leash audit export > audit-$(date +%F).ndjson
  leash audit export --since 24h | jq -c 'select(.type == "revocation.ordered")'
  leash audit export --since "$(tail -1 audit.ndjson | jq -r .id)" >> audit.ndjson
`;

export const auditExport: Command = {
  path: ["audit", "export"],
  summary: "every audit event as NDJSON",
  help: HELP,
  async run(argv, io) {
    const { values } = parse(argv, { since: { type: "string" }, output: { type: "string", short: "o" } });
    const since = sinceCursor(values.since, Date.now());
    const client = clientFor(io);
    const out: NodeJS.WritableStream = values.output ? createWriteStream(values.output) : io.stdout;
    let count = 0;
    for await (const event of client.auditExport(since === undefined ? {} : { since })) {
      // Respect back-pressure so a slow consumer (a pipe, a disk) does not pile the whole log up in memory.
      if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, "drain");
      count++;
    }
    if (values.output) {
      out.end();
      await once(out, "finish");
    }
    io.stderr.write(`exported ${count} events${values.output ? ` to ${values.output}` : ""}\n`);
    return EXIT.ok;
  },
};
