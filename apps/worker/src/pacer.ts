import { type Clock, sleepOn } from "@leash/core";

/**
 * Keeps background work to a share of the time so issuance keeps its latency: after each step, waits in proportion
 * to how long the step took (a share of 0.5 rests as long as it worked). A step that waited on a busy Redis or a
 * busy CPU took longer, so the rest grows with the load it caused or met.
 */
export function createPacer(clock: Clock, share: number) {
  let since = clock.now();
  let rested = 0;
  return {
    /** Ms spent resting so far. */
    get rested() {
      return rested;
    },
    /** Call between steps. */
    async pause(signal?: AbortSignal): Promise<void> {
      const busy = Math.max(0, clock.now() - since);
      const rest = Math.round((busy * (1 - share)) / share);
      if (rest > 0) await sleepOn(clock, rest, signal).catch(() => undefined);
      rested += rest;
      since = clock.now();
    },
  };
}
