import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "@leash/devstack";
import { connectRedis, type RedisClient } from "@leash/store";
import { type Counts, measureOps, type OpsFigure, type OpsTarget } from "../support/ops.js";
import { createAgents } from "./agents.js";
import { type BenchStack, startBenchStack } from "./stack.js";

/**
 * Section `ops`: Redis commands per issuance and per revocation (see test/support/ops.ts for what is counted), for
 * 500 leases ended by their tasks' completion, with one lease per task and with ten. Beside Redis's own counts, a
 * MONITOR feed says which script each EVALSHA ran (Leash's by file, BullMQ's by name) and how many commands it ran
 * inside, and which process sent what.
 */
const LEASES = Number(process.env.BENCH_OPS_LEASES ?? 500);
const SHAPES = [1, 10];

type PhaseName = "idle" | "issuance" | "revocation";
interface Seen {
  calls: number;
  /** Commands the script ran (0 for a plain command). */
  inner: number;
}
export interface OpsSection {
  shapes: { figure: OpsFigure; scripts: Map<string, { issuance: Seen; revocation: Seen }> }[];
}

/** sha1 -> `lua/<file>` for Leash's scripts (each `--@include` expanded, as the store loads them) and BullMQ's. */
async function scriptNames(): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const sha = (lua: string) => createHash("sha1").update(lua).digest("hex");
  const lua = join(REPO_ROOT, "packages/store/src/lua");
  for (const file of readdirSync(lua).filter((f) => f.endsWith(".lua"))) {
    const text = readFileSync(join(lua, file), "utf8").replace(/^--@include ([a-z_]+)$/gm, (_, lib: string) =>
      readFileSync(join(lua, "lib", `${lib}.lua`), "utf8"),
    );
    names.set(sha(text), file.replace(/\.lua$/, ""));
  }
  const bull = join(REPO_ROOT, "packages/queue/node_modules/bullmq/dist/esm/scripts");
  for (const file of readdirSync(bull).filter((f) => /-\d+\.js$/.test(f))) {
    const module = (await import(pathToFileURL(join(bull, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const script = value as { name?: string; content?: string };
      if (script.name && script.content) names.set(sha(script.content), `BullMQ ${script.name}`);
    }
  }
  return names;
}

/** Follows MONITOR and tallies each phase's commands by label: a script's name, or the plain command's. */
async function follow(url: string) {
  const names = await scriptNames();
  const client = connectRedis(url, { mode: "worker", name: "bench-monitor" });
  if (!("monitor" in client)) throw new Error("MONITOR needs a single Redis server");
  const monitor = await client.monitor();
  const tallies = new Map<PhaseName, Map<string, Seen>>();
  const spans = new Map<PhaseName, number>();
  let phase: { name: PhaseName; since: number } | undefined;
  let script: Seen | undefined;
  const waiting = new Map<string, () => void>();
  monitor.on("monitor", (time: string, args: string[], source: string) => {
    const [command = "", first = "", , key = ""] = args.map(String);
    const name = command.toLowerCase();
    if (name === "echo" && first.startsWith("ops:")) {
      const [, which, at] = first.split(":") as [string, PhaseName, string];
      if (at === "start") phase = { name: which, since: Number(time) };
      else if (phase) {
        spans.set(which, (Number(time) - phase.since) * 1000);
        phase = undefined;
      }
      waiting.get(first)?.();
      return;
    }
    if (!phase) return;
    const tally = tallies.get(phase.name) ?? new Map<string, Seen>();
    tallies.set(phase.name, tally);
    if (source === "lua") {
      if (script) script.inner++;
      return;
    }
    const label =
      name === "evalsha" || name === "eval"
        ? (names.get(name === "eval" ? createHash("sha1").update(first).digest("hex") : first) ??
          (key.includes(":q:") ? "BullMQ (unknown script)" : "script (unknown)"))
        : name;
    const seen = tally.get(label) ?? { calls: 0, inner: 0 };
    tally.set(label, seen);
    seen.calls++;
    script = name === "evalsha" || name === "eval" ? seen : undefined;
  });
  const mark = (bench: RedisClient) => async (which: PhaseName, at: "start" | "end") => {
    const text = `ops:${which}:${at}`;
    const seen = new Promise<void>((resolve) => waiting.set(text, resolve));
    await bench.echo(text);
    await seen;
  };
  return {
    mark,
    /** Each measured phase's labels, less the idle window's rate over the phase's length; then starts afresh. */
    take(): [Map<string, Seen>, Map<string, Seen>] {
      const idle = tallies.get("idle") ?? new Map<string, Seen>();
      const idleMs = spans.get("idle") ?? 1;
      const net = (which: "issuance" | "revocation") => {
        const scale = (spans.get(which) ?? 0) / idleMs;
        const out = new Map<string, Seen>();
        for (const [label, seen] of tallies.get(which) ?? []) {
          const base = idle.get(label);
          out.set(label, {
            calls: Math.max(0, seen.calls - (base?.calls ?? 0) * scale),
            inner: Math.max(0, seen.inner - (base?.inner ?? 0) * scale),
          });
        }
        return out;
      };
      const taken: [Map<string, Seen>, Map<string, Seen>] = [net("issuance"), net("revocation")];
      tallies.clear();
      spans.clear();
      return taken;
    },
    stop() {
      monitor.disconnect();
      client.disconnect();
    },
  };
}

/** An orchestrator and eight agents on `stack`, after a small warm-up measurement: the JIT, connections, every
 * script loaded once (a first EVALSHA misses and falls back to EVAL). */
export async function warmOpsTarget(stack: BenchStack): Promise<OpsTarget> {
  const orchestrator = await stack.issuer.mint({
    sub: "spiffe://dev.local/orchestrator",
    ttlSeconds: 86_400,
  });
  const agents = await createAgents(stack, orchestrator, 8);
  // Every shard's keys, so that the waits for the work to settle see all of it (LEASH_SHARDS=12 pnpm bench).
  const target = { redis: stack.redis, keys: stack.shardKeys, post: stack.post, orchestrator, agents };
  await measureOps(target, { leases: 50, perTask: 5, idleMs: 100 });
  return target;
}

export async function opsSection(redisUrl: string, log: (line: string) => void): Promise<OpsSection> {
  const stack = await startBenchStack({ redisUrl });
  const feed = await follow(redisUrl);
  const mark = feed.mark(stack.redis);
  try {
    const target = await warmOpsTarget(stack);
    const shapes: OpsSection["shapes"] = [];
    for (const perTask of SHAPES) {
      log(`ops: ${LEASES} issuances, ${perTask} per task, then their tasks' completion`);
      const figure = await measureOps(target, {
        leases: LEASES,
        perTask,
        mark,
      });
      const [issuance, revocation] = feed.take();
      const scripts = new Map<string, { issuance: Seen; revocation: Seen }>();
      for (const label of new Set([...issuance.keys(), ...revocation.keys()]))
        scripts.set(label, {
          issuance: issuance.get(label) ?? { calls: 0, inner: 0 },
          revocation: revocation.get(label) ?? { calls: 0, inner: 0 },
        });
      shapes.push({ figure, scripts });
    }
    return { shapes };
  } finally {
    feed.stop();
    await stack.stop();
  }
}

const f = (v: number) => (v >= 0.05 ? v.toFixed(1) : v > 0 ? "<0.1" : "0");
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

function byCommand(figure: OpsFigure): string[] {
  const per = (counts: Counts, name: string) => (counts.get(name) ?? 0) / figure.leases;
  const names = [...new Set([...figure.issuance.counts.keys(), ...figure.revocation.counts.keys()])].sort(
    (a, b) =>
      per(figure.issuance.counts, b) +
      per(figure.revocation.counts, b) -
      per(figure.issuance.counts, a) -
      per(figure.revocation.counts, a),
  );
  return names
    .filter((n) => per(figure.issuance.counts, n) + per(figure.revocation.counts, n) >= 0.05)
    .map((n) => row([n, f(per(figure.issuance.counts, n)), f(per(figure.revocation.counts, n))]));
}

function byScript(shape: OpsSection["shapes"][number]): string[] {
  const n = shape.figure.leases;
  const weight = (s: { issuance: Seen; revocation: Seen }) =>
    s.issuance.calls + s.issuance.inner + s.revocation.calls + s.revocation.inner;
  return [...shape.scripts]
    .filter(([, s]) => weight(s) / n >= 0.05)
    .sort(([, a], [, b]) => weight(b) - weight(a))
    .map(([label, s]) =>
      row([
        label,
        f(s.issuance.calls / n),
        f(s.issuance.inner / n),
        f(s.revocation.calls / n),
        f(s.revocation.inner / n),
      ]),
    );
}

/** The report's section: totals per shape, then each shape by command (Redis's counts) and by script (MONITOR). */
export function opsReport(section: OpsSection): string {
  const lines = [
    "",
    `### Redis commands per lease (${LEASES} leash-jwt issuances, then their tasks' completion; INFO commandstats, scripts' own commands included, background subtracted)`,
    "",
    row([
      "leases per task",
      "per issuance",
      "per revocation",
      "issuance (ms)",
      "revocation (ms)",
      "idle background (commands/s)",
    ]),
    row(["---", "---", "---", "---", "---", "---"]),
    ...section.shapes.map(({ figure }) =>
      row([
        figure.perTask,
        f(figure.issuance.perLease),
        f(figure.revocation.perLease),
        figure.issuance.ms,
        figure.revocation.ms,
        f([...figure.idle.values()].reduce((a, b) => a + b, 0)),
      ]),
    ),
  ];
  for (const shape of section.shapes) {
    lines.push(
      "",
      `#### ${shape.figure.perTask} lease(s) per task, by command (per lease)`,
      "",
      row(["command", "issuance", "revocation"]),
      row(["---", "---", "---"]),
      ...byCommand(shape.figure),
      "",
      `#### ${shape.figure.perTask} lease(s) per task, by script or command sent (MONITOR; per lease: calls, and commands run inside)`,
      "",
      row(["sent", "issuance calls", "issuance inside", "revocation calls", "revocation inside"]),
      row(["---", "---", "---", "---", "---"]),
      ...byScript(shape),
    );
  }
  return `${lines.join("\n")}\n`;
}
