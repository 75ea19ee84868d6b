import { PROVIDERS, type RevocationPreview, type RevocationSelector } from "@leash/sdk";
import { clientFor } from "./support/client.js";
import { type Command, EXIT, intFlag, oneOf, parse, UsageError } from "./support/command.js";
import { duration } from "./support/format.js";
import { errPaint, type Io, outPaint, writeJson } from "./support/io.js";
import { progressView } from "./support/progress.js";
import { confirm, interactive } from "./support/prompt.js";

const HELP = `leash revoke — mass revocation: revoke every live lease that matches (security role)

Usage:
  leash revoke <selector>... --reason <text> [--dry-run] [--yes] [--json]

Selectors (combine to narrow; --all stands alone):
  --agent <id>             one agent
  --agent-prefix <p>       every agent whose ID starts with <p> (e.g. a SPIFFE trust domain path)
  --task <id>              one task
  --provider <p>           ${PROVIDERS.join(" | ")}
  --target <t>             one target (an AWS role ARN, a Vault role)
  --issued-before <time>   leases issued before an RFC 3339 time
  --all                    every live lease

Options:
  --reason <text>          why (required; recorded in the audit log and on every lease)
  --dry-run                only show what would be revoked
  --yes                    do not ask for confirmation (required when not on a terminal)
  --interval <ms>          how often progress is polled (default 250)
  --json                   print the preview (with --dry-run) or the finished campaign as JSON

It first shows how many leases the order hits, asks for confirmation, then starts a campaign and shows its
progress until it ends. Exit 0 when the campaign is done, 1 when it failed; Ctrl-C stops watching only (the
campaign goes on: GET /v1/revocations/<id>).

Examples:
  leash revoke --agent spiffe://example.org/agent/etl --reason "prompt injection suspected" --dry-run
  leash revoke --agent-prefix spiffe://example.org/agent/ --provider aws-sts --reason "key leak" --yes
  leash revoke --all --reason "incident 4711" --yes --json
`;

function selectorFrom(v: Record<string, string | boolean | undefined>): RevocationSelector {
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const issuedBefore = str("issued-before");
  if (issuedBefore !== undefined && Number.isNaN(Date.parse(issuedBefore)))
    throw new UsageError("--issued-before must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z");
  const selector: RevocationSelector = {
    agent: str("agent"),
    agent_prefix: str("agent-prefix"),
    task_id: str("task"),
    provider: oneOf("provider", str("provider"), PROVIDERS),
    target: str("target"),
    issued_before: issuedBefore === undefined ? undefined : new Date(issuedBefore).toISOString(),
  };
  const criteria = Object.entries(selector).filter(([, value]) => value !== undefined);
  if (v.all === true) {
    if (criteria.length > 0)
      throw new UsageError("--all stands alone: drop the other selectors, or drop --all");
    return { all: true };
  }
  if (criteria.length === 0)
    throw new UsageError(
      "say what to revoke: --agent, --agent-prefix, --task, --provider, --target, --issued-before or --all",
    );
  return Object.fromEntries(criteria) as RevocationSelector;
}

function describePreview(io: Io, preview: RevocationPreview): void {
  const p = outPaint(io);
  const tally = (counts: Record<string, number>, max = 5) => {
    const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    const shown = sorted.slice(0, max).map(([k, n]) => `${k} ${n}`);
    if (sorted.length > max) shown.push(`and ${sorted.length - max} more`);
    return shown.join(", ");
  };
  io.stdout.write(`${p.bold(String(preview.matched))} live lease${preview.matched === 1 ? "" : "s"} match\n`);
  if (preview.matched === 0) return;
  io.stdout.write(
    `  by provider: ${tally(preview.by_provider)}\n  by agent:    ${tally(preview.by_agent)}\n`,
  );
}

export const revoke: Command = {
  path: ["revoke"],
  summary: "mass revocation with a dry run, confirmation and live progress",
  help: HELP,
  async run(argv, io) {
    const { values: v } = parse(argv, {
      agent: { type: "string" },
      "agent-prefix": { type: "string" },
      task: { type: "string" },
      provider: { type: "string" },
      target: { type: "string" },
      "issued-before": { type: "string" },
      all: { type: "boolean" },
      reason: { type: "string" },
      "dry-run": { type: "boolean" },
      yes: { type: "boolean", short: "y" },
      interval: { type: "string" },
      json: { type: "boolean" },
    });
    const selector = selectorFrom(v);
    if (!v.reason?.trim())
      throw new UsageError("--reason <text> is required: it is recorded with the revocation");
    const intervalMs = intFlag("interval", v.interval, 250, 60_000);
    const order = { selector, reason: v.reason.trim() };
    const client = clientFor(io);

    const preview = await client.previewRevocation(order);
    if (v["dry-run"] || preview.matched === 0) {
      if (v.json) writeJson(io, { dry_run: v["dry-run"] === true, ...preview });
      else {
        describePreview(io, preview);
        if (preview.matched === 0) io.stdout.write("nothing to revoke\n");
      }
      return EXIT.ok;
    }
    if (!v.json) describePreview(io, preview);
    if (!v.yes) {
      if (!interactive(io))
        throw new UsageError(`refusing to revoke ${preview.matched} leases without confirmation: pass --yes`);
      const ok = await confirm(io, `Revoke ${preview.matched} live leases (reason: ${order.reason})?`);
      if (!ok) {
        io.stderr.write("aborted; nothing was revoked\n");
        return EXIT.failure;
      }
    }

    const started = Date.now();
    const campaign = await client.revoke(order);
    const ep = errPaint(io);
    io.stderr.write(`campaign ${ep.bold(campaign.id)} started: ${campaign.matched} leases\n`);
    const view = progressView(io.stderr, ep);
    const stop = new AbortController();
    const onSigint = () => stop.abort(new Error("interrupted"));
    process.once("SIGINT", onSigint);
    let final: typeof campaign;
    try {
      final = await client.waitForRevocation(campaign.id, {
        intervalMs,
        signal: stop.signal,
        onProgress: (c) => view.update(c),
      });
    } catch (error) {
      view.end();
      if (!stop.signal.aborted) throw error;
      io.stderr.write(
        `stopped watching; campaign ${campaign.id} goes on (GET /v1/revocations/${campaign.id})\n`,
      );
      return 130;
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
    view.end();
    if (v.json) writeJson(io, final);
    else {
      const p = outPaint(io);
      const state = final.state === "done" ? p.green(final.state) : p.red(final.state);
      io.stdout.write(
        `campaign ${final.id} ${state}: ${final.revoked}/${final.matched} revoked, ${final.failed} failed, in ${duration(Date.now() - started)}\n`,
      );
    }
    if (final.failed > 0)
      io.stderr.write(
        ep.yellow(
          `${final.failed} leases could not be revoked yet; the worker keeps retrying: leash leases ls --state revoke_failed\n`,
        ),
      );
    return final.state === "failed" ? EXIT.failure : EXIT.ok;
  },
};
