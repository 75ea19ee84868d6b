import { clientFor } from "./support/client.js";
import { type Command, EXIT, parse, UsageError } from "./support/command.js";
import { table } from "./support/format.js";
import { outPaint, writeJson } from "./support/io.js";
import { expiryCell, stateCell } from "./support/lease-cells.js";

const HELP = `leash exposure — an agent's blast radius now: its live leases (security role)

Usage:
  leash exposure <agent> [--json]

Lists every live lease of the agent (pending, active, revoking or failing to revoke) with its provider, target,
scope and time left, soonest expiry first.

Options:
  --json   {"agent", "count", "by_provider", "live": [Lease]}

Examples:
  leash exposure spiffe://example.org/agent/etl
  leash exposure spiffe://example.org/agent/etl --json | jq '.count'
`;

export const exposure: Command = {
  path: ["exposure"],
  summary: "an agent's live leases with scopes and expiries",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: "boolean" } }, 1);
    const agent = positionals[0];
    if (!agent) throw new UsageError("which agent? leash exposure <agent>");
    const result = await clientFor(io).exposure(agent);
    if (values.json) {
      writeJson(io, result);
      return EXIT.ok;
    }
    const p = outPaint(io);
    const byProvider = Object.entries(result.by_provider)
      .map(([provider, n]) => `${provider} ${n}`)
      .join(", ");
    const noun = result.count === 1 ? "live lease" : "live leases";
    io.stdout.write(
      `${p.bold(result.agent)}: ${result.count} ${noun}${byProvider ? ` (${byProvider})` : ""}\n`,
    );
    if (result.live.length === 0) return EXIT.ok;
    const now = Date.now();
    io.stdout.write(
      table(
        ["LEASE", "TASK", "PROVIDER", "TARGET", "STATE", "EXPIRES IN", "SCOPE"],
        result.live.map((l) => [
          l.lease_id,
          l.task_id,
          l.provider,
          l.target ?? "-",
          stateCell(l.state, p),
          expiryCell(l, now),
          l.scope.join(", ") || `${l.intent.action}:${l.intent.resource}`,
        ]),
        p.bold,
      ),
    );
    return EXIT.ok;
  },
};
