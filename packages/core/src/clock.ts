import { setTimeout as delay } from "node:timers/promises";

export interface Clock {
  now(): number;
  /**
   * Resolves once `ms` of this clock's time has passed; rejects with the signal's reason when it is aborted first.
   * A test clock advances itself here, so waits measured on it take no real time.
   */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
};

/** Waits on the clock's own time (real timers only for a clock that has no `sleep`). */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep ? clock.sleep(ms, signal) : delay(ms, undefined, signal ? { signal } : undefined);
}
