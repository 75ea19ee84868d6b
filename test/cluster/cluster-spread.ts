import { clusterNodes, servesSlot } from "./cluster-nodes.js";
import { info, redisCli } from "./redis-cli.js";
import type { LocalCluster } from "./redis-topologies.js";

/** What one primary holds. */
export interface SpreadRow {
  /** `host:port` of the primary. */
  primary: string;
  /** Its slot ranges, e.g. `0-5460`. */
  slots: string;
  keys: number;
  /** `used_memory` of INFO memory, less the same primary's figure in the baseline when one was given. */
  usedMemory: number;
  /** The given prefixes whose hash tag's slot this primary serves. */
  prefixes: string[];
}

/** The hash tag of a key prefix such as `leash:{abc}:` (Redis hashes only what is between the first braces). */
function hashTag(prefix: string): string {
  const open = prefix.indexOf("{");
  const close = prefix.indexOf("}", open + 1);
  if (open < 0 || close <= open + 1) throw new Error(`prefix "${prefix}" has no hash tag`);
  return prefix.slice(open, close + 1);
}

async function firstReachableView(cluster: LocalCluster) {
  for (const node of cluster.nodes) {
    const view = await clusterNodes(node.port).catch(() => undefined);
    if (view) return { port: node.port, view };
  }
  throw new Error("no node of the cluster answers");
}

/**
 * Per primary: its key count (DBSIZE), its memory (less `baseline`'s, to count only what a test wrote) and which
 * `prefixes` land on it, each prefix's slot as Redis computes it (CLUSTER KEYSLOT), not as the test assumes.
 */
export async function clusterSpread(
  cluster: LocalCluster,
  prefixes: string[],
  baseline: SpreadRow[] = [],
): Promise<SpreadRow[]> {
  const { port: asked, view } = await firstReachableView(cluster);
  const slotOf = new Map(
    await Promise.all(
      prefixes.map(
        async (p) => [p, Number(await redisCli(asked, "cluster", "keyslot", hashTag(p)))] as const,
      ),
    ),
  );
  const primaries = view.filter((n) => n.role === "primary" && !n.failing && n.slots.length > 0);
  primaries.sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
  return Promise.all(
    primaries.map(async (node) => {
      const used = Number((await info(node.port, "info", "memory")).used_memory);
      const base = baseline.find((b) => b.primary === node.address)?.usedMemory ?? 0;
      return {
        primary: node.address,
        slots: node.slots.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(","),
        keys: Number(await redisCli(node.port, "dbsize")),
        usedMemory: used - base,
        prefixes: prefixes.filter((p) => servesSlot(node, slotOf.get(p) ?? -1)),
      };
    }),
  );
}

type Metric = "keys" | "usedMemory";

/** Each row's `metric` relative to the mean over the rows: 0.042 for 4.2% above it. */
function deviations(rows: SpreadRow[], metric: Metric): number[] {
  const mean = rows.reduce((sum, r) => sum + r[metric], 0) / rows.length;
  return rows.map((r) => (mean === 0 ? 0 : r[metric] / mean - 1));
}

const percent = (d: number) => `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)}%`;

/** The spread as a markdown table, each primary's keys and memory against the mean over the primaries. */
export function formatSpread(rows: SpreadRow[]): string {
  const keys = deviations(rows, "keys");
  const memory = deviations(rows, "usedMemory");
  const lines = rows.map(
    (r, i) =>
      `| ${r.primary} | ${r.slots} | ${r.keys} | ${percent(keys[i] ?? 0)} | ${(r.usedMemory / 1024).toFixed(0)} KiB | ` +
      `${percent(memory[i] ?? 0)} | ${r.prefixes.length}: ${r.prefixes.join(" ")} |`,
  );
  return [
    "| primary | slots | keys | keys vs mean | memory | memory vs mean | prefixes |",
    "|---|---|---:|---:|---:|---:|---|",
    ...lines,
  ].join("\n");
}

/** Whether every primary's `metric` is within ±`tolerance` (0.15: 15%) of the mean over the primaries. */
export function withinSpread(rows: SpreadRow[], tolerance: number, metric: Metric = "keys"): boolean {
  return deviations(rows, metric).every((d) => Math.abs(d) <= tolerance);
}
