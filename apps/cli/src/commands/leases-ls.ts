import { LEASE_STATES, type Lease, PROVIDERS } from "@leash/sdk";
import { clientFor } from "./support/client.js";
import { type Command, EXIT, intFlag, oneOf, parse } from "./support/command.js";
import { errPaint, type Io, outPaint, writeJson } from "./support/io.js";
import { leaseTable } from "./support/lease-cells.js";

const HELP = `leash leases ls — list leases, newest first (security role)

Usage:
  leash leases ls [--agent <id>] [--task <id>] [--provider <p>] [--state <s>] [--limit <n>]
                  [--cursor <c> | --all-pages] [--json]

Options:
  --agent <id>       only this agent's leases (its SPIFFE ID or subject)
  --task <id>        only leases of this task
  --provider <p>     ${PROVIDERS.join(" | ")}
  --state <s>        ${LEASE_STATES.join(" | ")}
  --limit <n>        leases per page, 1-500 (default 50)
  --cursor <c>       continue after a previous page (its next_cursor)
  --all-pages        follow every page
  --json             {"items": [Lease], "next_cursor"} instead of a table

Examples:
  leash leases ls --state active
  leash leases ls --agent spiffe://example.org/agent/etl --all-pages
  leash leases ls --provider aws-sts --json | jq -r '.items[].lease_id'
`;

function render(io: Io, json: boolean | undefined, items: Lease[], next: string | null): void {
  if (json) {
    writeJson(io, { items, next_cursor: next });
    return;
  }
  if (items.length === 0) io.stdout.write("no leases\n");
  else io.stdout.write(leaseTable(items, outPaint(io)));
  if (next) io.stderr.write(errPaint(io).dim(`more: --cursor ${next} (or --all-pages)\n`));
}

export const leasesLs: Command = {
  path: ["leases", "ls"],
  summary: "list leases (table or --json)",
  help: HELP,
  async run(argv, io) {
    const { values: v } = parse(argv, {
      agent: { type: "string" },
      task: { type: "string" },
      provider: { type: "string" },
      state: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      "all-pages": { type: "boolean" },
      json: { type: "boolean" },
    });
    const query = {
      agent: v.agent,
      task_id: v.task,
      provider: oneOf("provider", v.provider, PROVIDERS),
      state: oneOf("state", v.state, LEASE_STATES),
      limit: intFlag("limit", v.limit, 50, 500),
    };
    const client = clientFor(io);
    if (!v["all-pages"]) {
      const page = await client.listLeases({ ...query, cursor: v.cursor });
      render(io, v.json, page.items, page.next_cursor);
      return EXIT.ok;
    }
    const items: Lease[] = [];
    for await (const lease of client.listAllLeases(query)) items.push(lease);
    render(io, v.json, items, null);
    return EXIT.ok;
  },
};
