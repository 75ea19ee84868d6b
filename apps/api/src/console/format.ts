/** An instant for people: ISO 8601 in UTC, to the second. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "in 4m 10s" / "2m 5s ago": how far an instant is from now. */
export function relative(ms: number, now: number = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  const text =
    abs >= 3600
      ? `${Math.floor(abs / 3600)}h ${Math.floor((abs % 3600) / 60)}m`
      : abs >= 60
        ? `${Math.floor(abs / 60)}m ${abs % 60}s`
        : `${abs}s`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Counts of values, for "by provider" and "by state" summaries. */
export function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
