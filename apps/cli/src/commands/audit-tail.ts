import { setTimeout as sleep } from "node:timers/promises";
import type { AuditEvent, AuditQuery, LeashClient } from "@leash/sdk";
import { clientFor } from "./support/client.js";
import { type Command, EXIT, intFlag, parse } from "./support/command.js";
import { sinceCursor } from "./support/format.js";
import { type Io, outPaint, type Paint } from "./support/io.js";

const HELP = `leash audit tail — the latest audit events, and new ones as they happen (security role)

Usage:
  leash audit tail [-n <count>] [--since <when>] [--type <t>] [--agent <id>] [--task <id>] [--follow] [--json]

Options:
  -n, --lines <count>  how many of the latest events to show first (default 20)
  --since <when>       start after an event id, a duration ago (15m, 2h, 7d) or a time (2026-01-31T12:00:00Z)
  --type <t>           only this event type (e.g. lease.issued, revocation.ordered)
  --agent <id>         only events about this agent
  --task <id>          only events about this task
  -f, --follow         keep printing new events until Ctrl-C
  --interval <ms>      how often --follow polls (default 1000)
  --json               one JSON event per line (NDJSON)

Examples:
  leash audit tail -n 50
  leash audit tail --since 1h --type lease.issued
  leash audit tail --follow --agent spiffe://example.org/agent/etl --json | jq -c 'select(.outcome != "ok")'
`;

function eventLine(e: AuditEvent, p: Paint): string {
  const outcome =
    e.outcome === "ok"
      ? p.green(e.outcome)
      : e.outcome === "denied" || e.outcome === "error"
        ? p.red(e.outcome)
        : p.yellow(e.outcome);
  const refs = [
    e.actor ? `actor=${e.actor}` : "",
    e.agent ? `agent=${e.agent}` : "",
    e.task_id ? `task=${e.task_id}` : "",
    e.lease_id ? `lease=${e.lease_id}` : "",
    e.cause ? `cause=${e.cause}` : "",
  ].filter(Boolean);
  return `${p.dim(e.ts)}  ${p.bold(e.type)}  ${outcome}  ${refs.join(" ")}`.trimEnd();
}

/** Reads forward from `since` to the end, keeping the last `keep` events; returns them and where to go on from. */
async function readToEnd(client: LeashClient, query: AuditQuery, keep: number) {
  const last: AuditEvent[] = [];
  let cursor = query.since;
  for (;;) {
    const page = await client.audit({ ...query, since: cursor, limit: 1000 });
    for (const e of page.items) {
      last.push(e);
      if (last.length > keep) last.shift();
    }
    cursor = page.next_cursor ?? page.items.at(-1)?.id ?? cursor;
    if (!page.next_cursor) return { events: last, cursor };
  }
}

export const auditTail: Command = {
  path: ["audit", "tail"],
  summary: "the latest audit events; --follow for new ones",
  help: HELP,
  async run(argv, io: Io) {
    const { values: v } = parse(argv, {
      lines: { type: "string", short: "n" },
      since: { type: "string" },
      type: { type: "string" },
      agent: { type: "string" },
      task: { type: "string" },
      follow: { type: "boolean", short: "f" },
      interval: { type: "string" },
      json: { type: "boolean" },
    });
    const keep = intFlag("lines", v.lines, 20, 100_000);
    const intervalMs = intFlag("interval", v.interval, 1_000, 60_000);
    const filters = { type: v.type, agent: v.agent, task_id: v.task };
    const client = clientFor(io);
    const p = outPaint(io);
    const print = (e: AuditEvent) => io.stdout.write(`${v.json ? JSON.stringify(e) : eventLine(e, p)}\n`);

    const start = await readToEnd(client, { ...filters, since: sinceCursor(v.since, Date.now()) }, keep);
    start.events.forEach(print);
    if (!v.follow) return EXIT.ok;

    let cursor = start.cursor;
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once("SIGINT", onSigint);
    try {
      let behind = false;
      while (!stop.signal.aborted) {
        // A full page means more is waiting: read on at once instead of waiting for the next poll.
        if (!behind) await sleep(intervalMs, undefined, { signal: stop.signal });
        const page = await client.audit({ ...filters, since: cursor, limit: 1000 }, { signal: stop.signal });
        page.items.forEach(print);
        cursor = page.next_cursor ?? page.items.at(-1)?.id ?? cursor;
        behind = page.next_cursor !== null;
      }
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
    return EXIT.ok;
  },
};
