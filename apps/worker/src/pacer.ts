import { type Clock, sleepOn } from "@leash/core";

/** CPU ms this process has used so far (all its threads: the JIT and the garbage collector count too). */
const processCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Keeps background work to a share of one core, so issuance keeps its latency on a machine the API shares: after
 * each step, waits in proportion to the CPU the step used (a share of 0.5 rests as long as it computed). Time spent
 * waiting for Redis is not counted, or a run would rest longest when the machine is busiest with other work; the
 * store keeps each of a run's Redis calls short instead, so issuance's commands interleave with them.
 */
export function createPacer(clock: Clock, share: number, cpuMs: () => number = processCpuMs) {
  let since = cpuMs();
  let rested = 0;
  return {
    /** Ms spent resting so far. */
    get rested() {
      return rested;
    },
    /** Call between steps. */
    async pause(signal?: AbortSignal): Promise<void> {
      const used = Math.max(0, cpuMs() - since);
      const rest = Math.round((used * (1 - share)) / share);
      if (rest > 0) await sleepOn(clock, rest, signal).catch(() => undefined);
      rested += rest;
      since = cpuMs();
    },
  };
}
