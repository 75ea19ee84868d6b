import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Lease, newId, type Task } from "@leash/core";
import { REPO_ROOT } from "@leash/devstack";
import { Agent, request } from "undici";
import { createAgents } from "./agents.js";
import { CONFIG } from "./config.js";
import { type BenchStack, startBenchStack } from "./stack.js";
import { median, summarize } from "./stats.js";

/**
 * Re-evaluation at scale (issue #14): BENCH_REEVALUATE_LEASES live leash-jwt leases (default 100,000; 10 per agent,
 * one task each, varied intents) under the example policy set padded to 100 policies, then a policy file that denies
 * 10% of them. Measured: the time from the file's write to every lease decided (the reload included) and the run's
 * own time, the time until the denied are dead (introspection says inactive), and issuance latency meanwhile, by
 * an open-loop probe of 100 issuances/s, against its p99 over the 6 s before the write (after a second of warm-up).
 */
const LEASES = Number(process.env.BENCH_REEVALUATE_LEASES ?? 100_000);
const PER_AGENT = 10;
const DENY_SHARE = 10;
const PROBE_RATE = 100;
const BEFORE_MS = 6_000;
/** The probe's first second opens its connections (and warms the API's paths): not part of the idle reference. */
const WARMUP_MS = 1_000;
const SYNTHETIC = 96;

interface ReevaluateRun {
  checked: number;
  denied: number;
  /** From the policy file's write to the run's end: reload, compiling the set in the worker, every decision. */
  decideMs: number;
  /** The run alone, from its start to its end. */
  runMs: number;
  /** From the write until the last denied lease was dead. */
  deadMs: number;
  idle: { p50: number; p99: number; n: number };
  during: { p50: number; p99: number; n: number };
  /** From the write to the run's start: the API loading the new set. */
  reload: { p50: number; p99: number; n: number };
  probeErrors: number;
  /** The worker's own figures: Cedar's decisions (one per distinct request), its time and the part it rested. */
  worker: {
    decisions: number;
    ms: number;
    restedMs: number;
    compileMs: number;
    phaseMs: Partial<Record<"pending" | "live" | "tail", number>>;
  };
}

export interface ReevaluateFigure {
  leases: number;
  agents: number;
  policies: number;
  runs: ReevaluateRun[];
}

/** Padding policies shaped like real ones, none of which permits or forbids the bench's leases. */
function synthetic(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      i % 3 === 2
        ? `@id("pad-forbid-${i}")\nforbid (principal, action in Leash::Action::"any", resource)\nwhen { context.task.depth > ${3 + (i % 4)} && context has purpose && context.purpose like "*blocked-${i}*" };`
        : `@id("pad-permit-${i}")\n@max_ttl("${600 + i}")\npermit (principal, action == Leash::Action::"${["write", "invoke", "delete"][i % 3]}", resource)\nwhen { principal.labels.contains("team=t${i % 10}") && resource has tool && resource.tool == "tool-${i % 50}" };`,
    );
  }
  return `${out.join("\n\n")}\n`;
}

/** The example set (infra/policies) and its padding, in a directory of its own. */
function policyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "leash-bench-reeval-"));
  const examples = join(REPO_ROOT, "infra/policies");
  // Not exposure-limit.cedar: the probe's few agents would reach its 20 live leases within seconds.
  for (const file of [
    "schema.cedarschema",
    "destinations.cedar",
    "read-baseline.cedar",
    "working-hours.cedar",
    "write-approval.cedar",
  ])
    copyFileSync(join(examples, file), join(dir, file));
  writeFileSync(join(dir, "padding.cedar"), synthetic(SYNTHETIC));
  return dir;
}

interface Seeded {
  agents: string[];
  tasks: Task[];
}

/** Tasks of `agents` agents straight into the store, as the API would have registered them. */
async function seedTasks(stack: BenchStack, agents: number): Promise<Seeded> {
  const now = Date.now();
  const subs = Array.from({ length: agents }, (_, i) => `spiffe://dev.local/agent/reeval-${i}`);
  const tasks = subs.map(
    (agent, i): Task => ({
      id: newId("tk", now),
      agent,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttlSeconds: 86_400,
      parentId: null,
      depth: 0,
      labels: { team: `t${i % 10}` },
      state: "active",
      createdBy: "spiffe://dev.local/orchestrator",
      createdAt: now,
      deadline: now + 86_400_000,
      endedAt: null,
      bodyHash: "bench",
    }),
  );
  for (let i = 0; i < tasks.length; i += 200)
    await Promise.all(tasks.slice(i, i + 200).map((t) => stack.store.tasks.create(t)));
  return { agents: subs, tasks };
}

/**
 * `count` active leash-jwt leases straight into the store, as issuance writes them (with the requested TTL and the
 * set that permitted them): lease `i` is agent `i % agents`'s, reading one of its documents, with purpose `purpose(i)`.
 */
async function seedLeases(
  stack: BenchStack,
  seeded: Seeded,
  count: number,
  purpose: (i: number) => string,
  from: number,
): Promise<void> {
  const policySet = (await stack.store.policySets.current()) ?? null;
  const sensitivities = ["public", "internal"] as const;
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, async (_, j) => {
        const n = from + i + j;
        const task = seeded.tasks[n % seeded.tasks.length] as Task;
        const issuedAt = Date.now();
        const lease: Lease = {
          id: newId("ls", issuedAt),
          taskId: task.id,
          agent: task.agent,
          provider: "leash-jwt",
          target: null,
          intent: {
            action: n % 5 === 0 ? "list" : "read",
            resource: `docs/${task.id}/${n}`,
            sensitivity: sensitivities[n % 2],
            purpose: purpose(n),
          },
          scope: [],
          state: "pending",
          issuedAt,
          expiresAt: issuedAt + 3_600_000,
          revokedAt: null,
          revokeReason: null,
          handle: null,
          providerExpiresAt: null,
          breakGlass: false,
          requestedTtlSeconds: 3600,
          policySet,
        };
        await stack.store.leases.createPending(lease);
        await stack.store.leases.activate(lease.id, {
          handle: {},
          providerExpiresAt: lease.expiresAt,
          scope: [],
        });
      }),
    );
  }
}

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

/**
 * An open-loop probe: a lease request every 1000 / rate ms on schedule, whatever the latency, over its own
 * connections, until stopped; each sample is when it was sent and how long the answer took.
 */
function probe(stack: BenchStack, agents: { token: string; taskId: string }[]) {
  const dispatcher = new Agent({ connections: 64, pipelining: 1 });
  const samples: Sample[] = [];
  const pending: Promise<void>[] = [];
  let stopped = false;
  const url = stack.apis[0] as string;
  const loop = (async () => {
    const start = performance.now();
    for (let n = 0; !stopped; n++) {
      const due = start + (n * 1000) / PROBE_RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const agent = agents[n % agents.length] as { token: string; taskId: string };
      const at = Date.now();
      const t0 = performance.now();
      pending.push(
        request(`${url}/v1/leases`, {
          method: "POST",
          dispatcher,
          headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
          body: JSON.stringify({
            task_id: agent.taskId,
            provider: "leash-jwt",
            ttl_seconds: 600,
            intent: {
              action: "read",
              resource: `docs/probe-${n}`,
              sensitivity: "internal",
              purpose: "probe",
            },
          }),
        }).then(
          async (res) => {
            await res.body.text();
            samples.push({ at, ms: performance.now() - t0, ok: res.statusCode === 201 });
          },
          () => {
            samples.push({ at, ms: performance.now() - t0, ok: false });
          },
        ),
      );
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(pending);
      await dispatcher.close();
    },
  };
}

type RunView = {
  id: string;
  state: string;
  checked: number;
  denied: number;
  created_at: string;
  completed_at: string;
};

async function runAfter(stack: BenchStack, token: string, since: number): Promise<RunView> {
  for (;;) {
    const { items } = (await stack.get("/v1/reevaluations", token)) as unknown as { items: RunView[] };
    const run = items.find((r) => Date.parse(r.created_at) >= since && r.state !== "running");
    if (run) return run;
    await sleep(50);
  }
}

/** µs and calls per Redis command so far (INFO commandstats; commands scripts run count on their own too). */
async function commandStats(stack: BenchStack): Promise<Map<string, { calls: number; usec: number }>> {
  const info = String(await stack.redis.call("INFO", "commandstats"));
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
    stats.set(name as string, { calls: Number(calls), usec: Number(usec) });
  return stats;
}

function busiest(before: Map<string, { calls: number; usec: number }>, after: typeof before): string {
  return [...after]
    .map(([name, a]) => ({
      name,
      calls: a.calls - (before.get(name)?.calls ?? 0),
      usec: a.usec - (before.get(name)?.usec ?? 0),
    }))
    .sort((x, y) => y.usec - x.usec)
    .slice(0, 10)
    .map((c) => `${c.name} ${Math.round(c.usec / 1000)} ms in ${c.calls} calls`)
    .join(", ");
}

const window = (samples: readonly Sample[], from: number, to: number) => {
  const inside = samples.filter((s) => s.at >= from && s.at < to);
  const { n, p50, p99 } = summarize(inside.map((s) => s.ms));
  return { figure: { n, p50, p99 }, errors: inside.filter((s) => !s.ok).length };
};

/** The section: one stack, CONFIG.runs changes each denying a tenth of the live leases, topped up before each. */
export async function reevaluate(redisUrl: string, log: (line: string) => void): Promise<ReevaluateFigure> {
  const dir = policyDir();
  // At info, the worker logs each run's own figures ("re-evaluation finished"): its decisions and its rests.
  // BENCH_REEVALUATE_CPU_PROFILE=<dir> writes the API's and the worker's CPU profiles there.
  const stack = await startBenchStack({
    redisUrl,
    env: {
      LEASH_POLICY_DIR: dir,
      LOG_LEVEL: "info",
      // API, worker and Redis share this machine's two cores: the deployment README advises this for such a host.
      LEASH_WORKER_NICE: process.env.BENCH_WORKER_NICE ?? "10",
      ...(process.env.BENCH_REEVALUATE_CPU_PROFILE
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_REEVALUATE_CPU_PROFILE}` }
        : {}),
    },
  });
  try {
    const orchestrator = await stack.issuer.mint({
      sub: "spiffe://dev.local/orchestrator",
      ttlSeconds: 86_400,
    });
    const security = await stack.issuer.mint({
      sub: "spiffe://dev.local/security/bench",
      ttlSeconds: 86_400,
    });
    const probers = await createAgents(stack, orchestrator, 20);
    const seeded = await seedTasks(stack, Math.max(1, Math.round(LEASES / PER_AGENT)));
    const runs: ReevaluateRun[] = [];
    let issued = 0;
    for (let r = 0; r < CONFIG.runs; r++) {
      // A tenth of LEASES with the purpose this run's change denies, and as many others as it takes to make
      // LEASES live (the probe's leases of earlier runs are live too, so later runs hold a few more).
      const live = await stack.store.leases.liveCount({});
      const denied = LEASES / DENY_SHARE;
      const count = Math.max(denied, LEASES - live);
      log(`reevaluate run ${r + 1}: seeding ${count} leases`);
      await seedLeases(
        stack,
        seeded,
        count,
        (n) => (n - issued < denied ? `deny-${r}` : `keep-${n % 9}`),
        issued,
      );
      issued += count;
      const p = probe(stack, probers);
      await sleep(WARMUP_MS + BEFORE_MS);
      const statsBefore = await commandStats(stack);
      if (process.env.BENCH_SLOWLOG) {
        await stack.redis.call("CONFIG", "SET", "slowlog-log-slower-than", "1000");
        await stack.redis.call("CONFIG", "SET", "slowlog-max-len", "100000");
        await stack.redis.call("SLOWLOG", "RESET");
      }
      const written = Date.now();
      writeFileSync(
        join(dir, `change-${r}.cedar`),
        `@id("deny-run-${r}")\nforbid (principal, action, resource)\nwhen { context has purpose && context.purpose == "deny-${r}" };\n`,
      );
      const run = await runAfter(stack, security, written - 1_000);
      const done = Date.parse(run.completed_at);
      if (process.env.BENCH_SLOWLOG) {
        const slow = (await stack.redis.call("SLOWLOG", "GET", "100000")) as [
          number,
          number,
          number,
          string[],
        ][];
        const groups = new Map<string, number[]>();
        for (const [, , us, args] of slow) {
          const [command = "", first = ""] = args.map(String);
          const key =
            command === "evalsha"
              ? `evalsha ${first.slice(0, 8)}`
              : `${command} ${first.replace(/\{[^}]*\}/, "{P}").replace(/(ls|tk|re)_[0-9a-z]+/g, "$1_*")}`;
          groups.set(key, [...(groups.get(key) ?? []), us]);
        }
        for (const [key, us] of [...groups].sort((a, b) => b[1].length - a[1].length))
          log(
            `slow ${key}: ${us.length} calls over 1 ms, max ${Math.max(...us)} us, median ${us.sort((a, b) => a - b)[us.length >> 1]} us`,
          );
      }
      log(
        `reevaluate run ${r + 1}: Redis's busiest commands meanwhile: ${busiest(statsBefore, await commandStats(stack))}`,
      );
      await sleep(1_000);
      await p.stop();
      const lastDead = await lastRevokedAt(stack, `deny-${r}`, LEASES + issued);
      if (process.env.BENCH_REEVALUATE_SAMPLES)
        for (const [name, output] of Object.entries(stack.outputs()))
          writeFileSync(`${process.env.BENCH_REEVALUATE_SAMPLES}.${r + 1}.${name}.log`, output);
      if (process.env.BENCH_REEVALUATE_SAMPLES)
        writeFileSync(
          `${process.env.BENCH_REEVALUATE_SAMPLES}.${r + 1}.json`,
          JSON.stringify({
            written,
            started: Date.parse(run.created_at),
            done,
            samples: p.samples,
            // The API's own view of each request (its access log: when it answered, how long it took).
            api: (stack.outputs().api0 ?? "")
              .split("\n")
              .filter((l) => l.includes('"msg":"request"') && l.includes("/v1/leases"))
              .map((l) => JSON.parse(l) as { time: number; ms: number }),
          }),
        );
      const idle = window(p.samples, written - BEFORE_MS, written);
      // The contract's window is the re-evaluation itself: from its start (after the reload) to its end.
      const during = window(p.samples, Date.parse(run.created_at), done);
      const reload = window(p.samples, written, Date.parse(run.created_at));
      runs.push({
        checked: run.checked,
        denied: run.denied,
        decideMs: done - written,
        runMs: done - Date.parse(run.created_at),
        deadMs: lastDead - written,
        idle: idle.figure,
        during: during.figure,
        reload: reload.figure,
        probeErrors: idle.errors + during.errors,
        worker: workerFigures(stack, run.id),
      });
      log(`reevaluate run ${r + 1}: ${JSON.stringify(runs.at(-1))}`);
    }
    return { leases: LEASES, agents: seeded.agents.length, policies: SYNTHETIC + 4, runs };
  } finally {
    await stack.stop();
  }
}

/** What the worker logged when the run finished. */
function workerFigures(stack: BenchStack, id: string) {
  const line = (stack.outputs().worker0 ?? "")
    .split("\n")
    .find((l) => l.includes('"re-evaluation finished"') && l.includes(id));
  type Logged = {
    decisions?: number;
    ms?: number;
    rested_ms?: number;
    compile_ms?: number;
    phase_ms?: Partial<Record<"pending" | "live" | "tail", number>>;
  };
  const log: Logged = line ? (JSON.parse(line) as Logged) : {};
  return {
    decisions: log.decisions ?? Number.NaN,
    ms: log.ms ?? Number.NaN,
    restedMs: log.rested_ms ?? Number.NaN,
    compileMs: log.compile_ms ?? Number.NaN,
    phaseMs: log.phase_ms ?? {},
  };
}

/** When the last lease with `purpose` ended (its revoked_at), checking that none is live. */
async function lastRevokedAt(stack: BenchStack, purpose: string, scan: number): Promise<number> {
  const ids = await stack.redis.zrange(stack.keys.leases, 0, scan);
  let last = 0;
  for (let i = 0; i < ids.length; i += 2_000) {
    for (const lease of await stack.store.leases.getMany(ids.slice(i, i + 2_000))) {
      if (lease.intent.purpose !== purpose) continue;
      if (lease.state !== "revoked" || lease.revokedAt === null)
        throw new Error(`lease ${lease.id} (${purpose}) is ${lease.state} after the re-evaluation`);
      last = Math.max(last, lease.revokedAt);
    }
  }
  return last;
}

const f = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

/** The report's section: each run, then the median over runs. */
export function reevaluateReport(r: ReevaluateFigure): string {
  const rows = r.runs.map(
    (x, i) =>
      `| ${i + 1} | ${x.checked} | ${x.denied} | ${x.worker.decisions} | ${f(x.decideMs)} | ${f(x.runMs)} | ${f(x.worker.restedMs)} | ${f(x.worker.compileMs)} | ${f(x.deadMs)} | ${f(x.idle.p99, 1)} | ${f(x.during.p99, 1)} | ${f(x.during.p99 / x.idle.p99, 2)}x | ${f(x.reload.p99, 1)} | ${x.during.n} | ${x.probeErrors} |`,
  );
  const m = (pick: (x: ReevaluateRun) => number) => median(r.runs.map(pick));
  return [
    "",
    `### Re-evaluation (${r.leases} live leash-jwt leases of ${r.agents} agents, ${r.policies} policies, a change denying 1 in ${DENY_SHARE})`,
    "",
    "| run | checked | denied | decisions | write to all decided (ms) | run alone (ms) | of which rested (ms) | compiling the set (ms) | write to last denied dead (ms) | issuance p99 before (ms) | p99 during (ms) | ratio | p99 in the reload (ms) | probe requests during | probe errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    `| median | | | | ${f(m((x) => x.decideMs))} | ${f(m((x) => x.runMs))} | ${f(m((x) => x.worker.restedMs))} | ${f(m((x) => x.worker.compileMs))} | ${f(m((x) => x.deadMs))} | ${f(
      m((x) => x.idle.p99),
      1,
    )} | ${f(
      m((x) => x.during.p99),
      1,
    )} | ${f(
      m((x) => x.during.p99 / x.idle.p99),
      2,
    )}x | | |`,
    "",
    `Issuance is probed open-loop at ${PROBE_RATE} requests/s; "before" is the ${BEFORE_MS / 1000} s before the policy file's write (after the probe's first ${WARMUP_MS / 1000} s, which open its connections), "during" from the run's start to its end; "reload" from the write to the run's start (the API compiling the new set).`,
    "",
  ].join("\n");
}
