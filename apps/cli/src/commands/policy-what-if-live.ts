import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LeashApiError, type ReevaluationPreview } from "@leash/sdk";
import { clientFor } from "./support/client.js";
import { EXIT, UsageError } from "./support/command.js";
import { table } from "./support/format.js";
import { type Io, outPaint, type Paint, writeJson } from "./support/io.js";

/** The API waits up to a minute for the worker to decide every live lease; this waits a little longer. */
const PREVIEW_TIMEOUT_MS = 75_000;

/** The `*.cedar` files of a candidate directory (not its subdirectories, not its schema: the loaded one applies). */
async function candidateFiles(dir: string): Promise<Record<string, string>> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith(".cedar"))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    throw new UsageError(`cannot read ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`${dir} holds no *.cedar policy file`);
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), "utf8")));
  return Object.fromEntries(names.map((name, i) => [name, texts[i] ?? ""]));
}

function report(io: Io, p: Paint, preview: ReevaluationPreview, what: string): void {
  if (preview.denied === 0) {
    io.stdout.write(`${p.green("no change")}: ${preview.checked} live leases stay live under ${what}\n`);
    return;
  }
  const byPolicy = Object.entries(preview.by_policy).sort(([, a], [, b]) => b - a);
  io.stdout.write(
    table(
      ["POLICY", "LEASES"],
      byPolicy.map(([id, n]) => [id, String(n)]),
      p.bold,
    ),
  );
  const rows = preview.sample.map((s) => [
    s.lease_id,
    s.agent,
    `${s.intent.action}:${s.intent.resource}`,
    s.target ? `${s.provider}/${s.target}` : s.provider,
    p.red(s.policies.join(", ")),
  ]);
  io.stdout.write(`\n${table(["LEASE", "AGENT", "INTENT", "PROVIDER", "POLICIES"], rows, p.bold)}`);
  io.stdout.write(
    `${p.bold(`${preview.denied} of ${preview.checked}`)} live leases would be revoked under ${what}` +
      `${preview.sample.length < preview.denied ? ` (${preview.sample.length} shown)` : ""}\n`,
  );
}

/**
 * `leash policy what-if [<dir>] --live`: what re-evaluating every live lease would revoke, with the candidate set
 * in `<dir>` (or the loaded set), decided by the broker's worker; nothing is loaded or revoked.
 */
export async function whatIfLive(io: Io, dir: string | undefined, json: boolean): Promise<number> {
  const policies = dir === undefined ? undefined : await candidateFiles(dir);
  const client = clientFor(io, { timeoutMs: PREVIEW_TIMEOUT_MS });
  const p = outPaint(io);
  let preview: ReevaluationPreview;
  try {
    preview = await client.previewReevaluation(policies ? { policies } : {});
  } catch (error) {
    // A candidate that does not load: its problems, as `leash policy validate` prints them.
    if (!(error instanceof LeashApiError) || error.status !== 400 || !policies) throw error;
    const problems = error.reasons ?? [error.detail];
    if (json) writeJson(io, { candidate: dir, ok: false, problems });
    else {
      io.stdout.write(`${p.red(`${dir}: invalid`)} against the loaded schema\n`);
      for (const problem of problems) io.stdout.write(`${(dir ?? "").replace(/\/$/, "")}/${problem}\n`);
    }
    return EXIT.usage;
  }
  if (json) writeJson(io, { candidate: dir ?? null, ...preview });
  else report(io, p, preview, dir ?? "the loaded policy set");
  return preview.denied === 0 ? EXIT.ok : EXIT.failure;
}
