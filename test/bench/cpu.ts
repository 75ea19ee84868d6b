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

/** CPU seconds the whole machine has spent busy so far (every core, every process), from /proc/stat. */
function machineBusySeconds(): number {
  try {
    const [, ...ticks] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
      .trim()
      .split(/\s+/)
      .map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
    return busy / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * Measures how much CPU each named process spends while a load runs: the stack's, the load generator's (which
 * reports its own), this bench process's bookkeeping, and whatever else ran on the machine meanwhile.
 */
export async function cpuSplit<T extends { cpuSeconds: number }>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; cpu: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const machine = machineBusySeconds();
  const self = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuSeconds(pid) - (before[name] ?? 0);
  cpu["load generator"] = result.cpuSeconds;
  const used = process.cpuUsage(self);
  cpu.bench = (used.user + used.system) / 1e6;
  const ours = Object.values(cpu).reduce((sum, c) => sum + c, 0);
  cpu["other work on the machine"] = Math.max(0, machineBusySeconds() - machine - ours);
  return { result, seconds, cpu };
}
