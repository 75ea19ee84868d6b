import { UsageError } from "./command.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, "").length;

/** Left-aligned columns separated by two spaces; the last column is not padded (no trailing blanks). */
export function table(header: string[], rows: string[][], bold: (s: string) => string = (s) => s): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visible(c))))
      .join("  ")
      .trimEnd();
  return `${[bold(line(header)), ...rows.map(line)].join("\n")}\n`;
}

/** `1h 02m`, `4m 05s`, `12s`, `0.4s`. */
export function duration(ms: number): string {
  if (ms < 9_950) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Time left until an ISO instant, or how long ago it passed. */
export function expiresIn(iso: string, nowMs: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "?";
  return at >= nowMs ? duration(at - nowMs) : `${duration(nowMs - at)} ago`;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since` as the API wants it (an event id `<ms>-<seq>`, exclusive), from an event id, a duration back from now
 * (`15m`, `2h`, `7d`) or an RFC 3339 time. Event ids are Redis stream ids, whose first part is the time in ms.
 */
export function sinceCursor(value: string | undefined, nowMs: number): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d+-\d+$/.test(value)) return value;
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago) return `${Math.max(0, nowMs - Number(ago[1]) * (UNITS[ago[2] ?? "s"] ?? 1_000))}-0`;
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) return `${Date.parse(value)}-0`;
  throw new UsageError(
    `--since must be an event id (1732350000000-0), a duration (15m, 2h, 7d) or a time (2026-01-31T12:00:00Z)`,
  );
}
