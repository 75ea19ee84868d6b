import type { Judged, Row } from "./verdict.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function formatTable(rows: readonly Row[]): string {
  const header = [
    "phase",
    "fault",
    "bound",
    "issued",
    "never delivered",
    "on time",
    "late (worst)",
    "p99 lateness",
    "worst lateness",
    "alive",
    "lost",
  ];
  const lines = rows.map((r) => [
    r.phase,
    r.fault,
    r.bound,
    String(r.issued),
    String(r.undelivered),
    String(r.onTime),
    r.late === 0 ? "0" : `${r.late} (${seconds(r.worstLate)})`,
    seconds(r.p99Lateness),
    seconds(r.worstLateness),
    String(r.alive),
    String(r.lost),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const fmt = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...lines.map(fmt)].join("\n");
}

/** The credentials that missed their bound, then those that came closest to it, worst first. */
export function worst(judged: readonly Judged[], count: number): Judged[] {
  const byLateness = (a: Judged, b: Judged) =>
    (b.lateness ?? Number.POSITIVE_INFINITY) - (a.lateness ?? Number.POSITIVE_INFINITY);
  const missed = judged.filter((j) => j.verdict !== "on_time").sort(byLateness);
  const closest = judged.filter((j) => j.verdict === "on_time" && (j.lateness ?? 0) > 0).sort(byLateness);
  return [...missed.slice(0, count), ...closest.slice(0, 3)];
}

export function explain(j: Judged): string {
  const c = j.credential;
  const at = (t: number | null) => (t === null ? "-" : new Date(t).toISOString().slice(11, 23));
  return `${j.verdict} ${j.phase} ${c.kind} lease ${c.leaseId} ${c.delivered ? "delivered" : "never delivered"}: minted ${at(c.mintedAt)}, end ${at(j.end)}, stopped ${at(c.stoppedAt)} (+${((j.lateness ?? 0) / 1000).toFixed(2)} s), deadline ${at(j.deadline)}`;
}

/** The API's answers to the driver in one phase, by status (0: the API could not be reached). */
export function formatAnswers(phase: string, byStatus: ReadonlyMap<number, number>): string {
  const answers = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status || "unreachable"}: ${n}`);
  return `answers in ${phase}: ${answers.join(", ")}`;
}
