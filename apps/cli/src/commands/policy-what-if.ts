import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { DecisionChange, DecisionOutcome, WhatIfReport } from "@leash/policy";
import { whatIf } from "@leash/policy";
import { whatIfLive } from "./policy-what-if-live.js";
import { clientFor } from "./support/client.js";
import { type Command, EXIT, parse, UsageError } from "./support/command.js";
import { sinceCursor, table } from "./support/format.js";
import { type Io, outPaint, type Paint, writeJson } from "./support/io.js";
import { loadDecider } from "./support/policy-set.js";

const DEFAULT_SINCE = "24h";

const HELP = `leash policy what-if — which recorded decisions a candidate policy set would change

Usage:
  leash policy what-if <dir> [--since <when>] [--from-file <export.ndjson>] [--json]
  leash policy what-if [<dir>] --live [--json]

Replays every policy decision of the audit trail (lease.issued, lease.denied, approval.requested: each records
the exact request the policies saw, time and live-lease count included) against the candidate set in <dir>, and
lists those whose outcome would differ: allow / approval / deny, or the TTL cap (@max_ttl). A different reason
alone is not a change. Reads the trail through the API (security role), or from a file written by
\`leash audit export\`, which needs no API.

With --live, it asks the broker instead (security role): every lease live now is decided again with the request
recorded at issuance and the candidate set in <dir> (its *.cedar files, checked against the loaded schema; without
<dir>, the loaded set), as a re-evaluation would after the change, and it lists what would be revoked: counts by
policy and a sample. Nothing is loaded or revoked.

Options:
  --live               preview the re-evaluation of the live leases (POST /v1/reevaluations with dry_run)
  --since <when>       after an event id, a duration ago (15m, 2h, 7d) or a time (2026-01-31T12:00:00Z);
                       default ${DEFAULT_SINCE} from the API, the whole file with --from-file
  --from-file <path>   replay the events of an NDJSON export instead of asking the API
  --json               {"candidate", "since", "replayed", "skipped", "changed", "changes": [{"event_id", "ts",
                       "type", "agent", "task_id", "lease_id", "intent", "before", "after"}], "skipped_examples"}

Exit codes: 0 nothing would change, 1 something would change (or the trail could not be read), 2 usage error
or a candidate set that does not load (its problems are printed), 3 not logged in or not allowed. With --live:
0 no live lease would be revoked, 1 some would.

Examples:
  leash policy what-if ./policies-next --since 24h
  leash policy what-if ./policies-next --since 7d --json | jq '.changes[] | {agent, intent, before, after}'
  leash audit export --since 7d -o week.ndjson && leash policy what-if ./policies-next --from-file week.ndjson
  leash policy what-if ./policies-next --live
`;

/** `deny`, `allow (max 3600s)`, `approval (max 900s)`. */
export function outcomeText(outcome: DecisionOutcome): string {
  if (outcome.decision === "deny" || outcome.max_ttl_seconds === null) return outcome.decision;
  return `${outcome.decision} (max ${outcome.max_ttl_seconds}s)`;
}

export function changeRows(changes: readonly DecisionChange[], p: Paint): string[][] {
  return changes.map((c) => [
    c.event_id,
    c.type,
    c.agent,
    `${c.intent.action}:${c.intent.resource}`,
    outcomeText(c.before),
    c.after.decision === "deny" ? p.red(outcomeText(c.after)) : p.yellow(outcomeText(c.after)),
    [...c.after.reasons, ...c.after.errors].join(", "),
  ]);
}

/** Stream ids are `<ms>-<seq>`: compared as numbers, not strings (`9-0` is before `10-0`). */
export function isAfter(id: string, cursor: string): boolean {
  const [ms = 0, seq = 0] = id.split("-").map(Number);
  const [cms = 0, cseq = 0] = cursor.split("-").map(Number);
  return ms > cms || (ms === cms && seq > cseq);
}

/** The events of an NDJSON export after `since`, one at a time (an export may be larger than memory). */
export async function* exportedEvents(path: string, since: string | undefined): AsyncGenerator<unknown> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === "") continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${number}: not a JSON audit event`);
    }
    const id = (event as { id?: unknown } | null)?.id;
    if (since !== undefined && typeof id === "string" && !isAfter(id, since)) continue;
    yield event;
  }
}

function summary(report: WhatIfReport, dir: string, p: Paint): string {
  const replayed = `${report.replayed} recorded ${report.replayed === 1 ? "decision" : "decisions"}`;
  const skipped =
    report.skipped > 0
      ? `; ${report.skipped} decision ${report.skipped === 1 ? "event" : "events"} without a recorded policy request skipped`
      : "";
  if (report.changes.length === 0)
    return `${p.green("no change")}: ${replayed} decide the same under ${dir}${skipped}\n`;
  return `${p.bold(`${report.changes.length} of ${replayed}`)} would change under ${dir}${skipped}\n`;
}

export const policyWhatIf: Command = {
  path: ["policy", "what-if"],
  summary: "replay recorded decisions (or, --live, decide the live leases) against a candidate policy set",
  help: HELP,
  async run(argv, io: Io) {
    const { values, positionals } = parse(
      argv,
      {
        since: { type: "string" },
        "from-file": { type: "string" },
        json: { type: "boolean" },
        live: { type: "boolean" },
      },
      1,
    );
    const dir = positionals[0];
    if (values.live) {
      if (values.since !== undefined || values["from-file"] !== undefined)
        throw new UsageError("--live decides the live leases: it takes neither --since nor --from-file");
      return whatIfLive(io, dir, values.json === true);
    }
    if (!dir) throw new UsageError("which candidate policy directory? leash policy what-if <dir>");
    const file = values["from-file"];
    const since = sinceCursor(values.since ?? (file === undefined ? DEFAULT_SINCE : undefined), Date.now());
    const json = values.json === true;
    // Credentials are checked before the (slower) policy load, so a missing login fails at once.
    const source = file ?? clientFor(io);
    const p = outPaint(io);
    const decider = await loadDecider(io, p, dir, json);
    if (!decider) return EXIT.usage;
    const events =
      typeof source === "string"
        ? exportedEvents(source, since)
        : source.auditExport(since === undefined ? {} : { since });
    const report = await whatIf(decider, events);

    if (json) {
      writeJson(io, {
        candidate: dir,
        since: since ?? null,
        replayed: report.replayed,
        skipped: report.skipped,
        changed: report.changes.length,
        changes: report.changes,
        skipped_examples: report.skippedExamples,
      });
    } else {
      if (report.changes.length > 0) {
        const header = ["EVENT", "TYPE", "AGENT", "INTENT", "RECORDED", "CANDIDATE", "CANDIDATE REASONS"];
        io.stdout.write(table(header, changeRows(report.changes, p), p.bold));
      }
      io.stdout.write(summary(report, dir, p));
    }
    return report.changes.length === 0 ? EXIT.ok : EXIT.failure;
  },
};
