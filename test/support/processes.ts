import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { waitFor } from "@leash/devstack";

/**
 * Process checks for the shutdown tests, by PID (Linux `/proc` and `ps`): is it running, what did it start, and
 * a way to make sure nothing a test started survives it.
 */

/** True while `pid` runs; a zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
  try {
    // The state follows the command name, which is in parentheses and may itself hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  args: string;
}

/** Every live process below `root` (children, their children, ...). */
export function descendants(root: number): ProcessInfo[] {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid=,stat=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && !m[3]?.startsWith("Z"))
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[4] ?? "" }));
  const found: ProcessInfo[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table)
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
  }
  return found;
}

/** Resolves once none of `pids` runs; throws naming the survivors after `timeoutMs`. */
export async function waitGone(pids: readonly number[], timeoutMs: number, what: string): Promise<void> {
  try {
    await waitFor(() => (pids.some(alive) ? undefined : true), { timeoutMs, intervalMs: 25, what });
  } catch {
    throw new Error(`${what}: still running after ${timeoutMs} ms: ${pids.filter(alive).join(", ")}`);
  }
}

/** PIDs a test started, killed with SIGKILL in `afterEach` whatever happened, so a failing test leaves nothing. */
export class ProcessJanitor {
  private readonly pids = new Set<number>();

  track(...pids: (number | undefined)[]): void {
    for (const pid of pids) if (pid !== undefined) this.pids.add(pid);
  }

  killAll(): void {
    for (const pid of this.pids)
      try {
        if (alive(pid)) process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    this.pids.clear();
  }
}
