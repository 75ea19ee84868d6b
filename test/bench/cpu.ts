import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * Measures how much CPU each named process spends while a load runs: the stack's, the load generator's (which
 * reports its own) and this bench process's bookkeeping.
 */
export async function cpuSplit<T extends { cpuSeconds: number }>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; cpu: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const self = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuSeconds(pid) - (before[name] ?? 0);
  cpu["load generator"] = result.cpuSeconds;
  const used = process.cpuUsage(self);
  cpu.bench = (used.user + used.system) / 1e6;
  return { result, seconds, cpu };
}
