import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, startRedisServer } from "@leash/devstack";
import { createAgents, workloadFor } from "./agents.js";
import { closedLoop, stopLoadGenerator } from "./load.js";
import { startBenchStack } from "./stack.js";

/**
 * `pnpm bench:reload`: issuance at full rate while the policy set is reloaded every second, in RELOAD_RUNS fresh
 * stacks of RELOAD_SECONDS each. On Node 20.20.2 this made the API die of a V8 fatal error ("unreachable code" in
 * the deoptimizer) in about one run in five. Exits 1 if an API or worker process died, or issuance failed.
 * Bounded: RELOAD_BUDGET_SECONDS stops it (between slices) whatever is left.
 */
const RUNS = Number(process.env.RELOAD_RUNS ?? 10);
const SECONDS = Number(process.env.RELOAD_SECONDS ?? 120);
const CONCURRENCY = Number(process.env.RELOAD_CONCURRENCY ?? 32);
const INTERVAL_MS = Number(process.env.RELOAD_INTERVAL_MS ?? 1000);
const BUDGET_MS = Number(process.env.RELOAD_BUDGET_SECONDS ?? RUNS * (SECONDS + 30)) * 1000;
/** Load runs in slices so a death is noticed (and reported) within one. */
const SLICE_MS = 10_000;

let interrupted = false;
const log = (line: string) => process.stderr.write(`reload-under-load: ${line}\n`);

/** Every read is permitted; the reloaded file adds 1 to 6 forbid policies that never match, different each time. */
const BASE = `@id("reload-bench-read")\npermit (principal, action == Leash::Action::"read", resource);\n`;
function variant(generation: number): string {
  const count = (generation % 6) + 1;
  const policies = Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? `@id("reload-${generation}-${i}")\nforbid (principal, action in Leash::Action::"any", resource)\n` +
        `when { resource.id == "never/${generation}/${i}" };\n`
      : `@id("reload-${generation}-${i}")\nforbid (principal, action in Leash::Action::"any", resource)\n` +
        `when { context has destination && context.destination == "never-${generation}.internal" && ` +
        `context.time.hour >= ${i} };\n`,
  );
  return policies.join("\n");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function reloads(api: string): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  return Number(/leash_policy_reloads\{result="ok"\} (\d+)/.exec(text)?.[1] ?? Number.NaN);
}

interface RunResult {
  seconds: number;
  issued: number;
  errors: number;
  reloads: number;
  died: string[];
  firstError?: string;
}

async function oneRun(redisUrl: string, run: number, deadline: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "leash-reload-"));
  copyFileSync(join(REPO_ROOT, "infra/policies/schema.cedarschema"), join(dir, "schema.cedarschema"));
  writeFileSync(join(dir, "base.cedar"), BASE);
  writeFileSync(join(dir, "reload.cedar"), variant(0));
  const stack = await startBenchStack({ redisUrl, env: { LEASH_POLICY_DIR: dir } });
  let generation = 0;
  // Replace the file by renaming over it, as editors and config-map mounts do: every change is a whole set.
  const reloader = setInterval(() => {
    generation++;
    const tmp = join(dir, `reload.cedar.${generation}.tmp`);
    writeFileSync(tmp, variant(generation));
    renameSync(tmp, join(dir, "reload.cedar"));
  }, INTERVAL_MS);
  const result: RunResult = { seconds: 0, issued: 0, errors: 0, reloads: 0, died: [] };
  try {
    const orchestrator = await stack.issuer.mint({
      sub: "spiffe://dev.local/orchestrator",
      ttlSeconds: 86_400,
    });
    const agents = await createAgents(stack, orchestrator, CONCURRENCY);
    const workload = workloadFor(agents, "leash-jwt");
    const started = performance.now();
    const until = Math.min(started + SECONDS * 1000, deadline);
    while (performance.now() < until && result.died.length === 0 && !interrupted) {
      const r = await closedLoop(
        stack.apis,
        CONCURRENCY,
        Math.min(SLICE_MS, until - performance.now()) / 1000,
        workload,
      );
      result.issued += r.issued;
      result.errors += r.errors;
      result.firstError ??= r.firstError;
      result.died = Object.entries(stack.pids())
        .filter(([name, pid]) => name !== "redis" && !alive(pid))
        .map(([name]) => name);
    }
    result.seconds = (performance.now() - started) / 1000;
    const [api] = stack.apis;
    if (api && result.died.length === 0) result.reloads = await reloads(api);
    return result;
  } finally {
    clearInterval(reloader);
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    // After stop, so whatever a dying process wrote (a V8 fatal error's report) has been read.
    for (const name of result.died)
      log(`run ${run}: ${name} died; its last output:\n${(stack.outputs()[name] ?? "").slice(-4000)}`);
  }
}

const redis = await startRedisServer();
const deadline = performance.now() + BUDGET_MS;
const results: RunResult[] = [];
process.once("SIGINT", () => {
  interrupted = true;
  log("interrupted: stopping after this slice");
});
try {
  log(
    `node ${process.version}: ${RUNS} runs of ${SECONDS} s, ${CONCURRENCY} clients, a reload every ${INTERVAL_MS} ms`,
  );
  for (let run = 1; run <= RUNS && performance.now() < deadline - 15_000 && !interrupted; run++) {
    const r = await oneRun(redis.url, run, deadline);
    results.push(r);
    log(
      `run ${run}: ${r.seconds.toFixed(0)} s, ${r.issued} leases (${(r.issued / r.seconds).toFixed(0)}/s), ` +
        `${r.reloads} reloads, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ""}` +
        `${r.died.length ? `, DIED: ${r.died.join(", ")}` : ""}`,
    );
  }
} finally {
  await stopLoadGenerator();
  await redis.stop();
}
const crashes = results.filter((r) => r.died.length > 0).length;
const failed = results.filter((r) => r.errors > 0 || r.reloads < r.seconds / (INTERVAL_MS / 1000) / 2).length;
const minutes = results.reduce((sum, r) => sum + r.seconds, 0) / 60;
const issued = results.reduce((sum, r) => sum + r.issued, 0);
const reloaded = results.reduce((sum, r) => sum + r.reloads, 0);
process.stdout.write(
  `${JSON.stringify({ node: process.version, runs: results.length, minutes: Number(minutes.toFixed(1)), issued, reloads: reloaded, crashes, failedRuns: failed })}\n`,
);
process.exit(crashes > 0 || failed > 0 || results.length === 0 ? 1 : 0);
