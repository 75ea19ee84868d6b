import { setTimeout as delay } from "node:timers/promises";

export interface Clock {
  now(): number;
  /**
   * Resolves once `ms` of this clock's time has passed; rejects with the signal's reason when it is aborted first.
   * A test clock advances itself here, so waits measured on it take no real time.
   */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The one real-time wait of Leash: resolves after `ms`, or rejects with the signal's own reason (not Node's
 * AbortError) once it is aborted, so a caller sees why it was stopped.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}

export const systemClock: Clock = { now: () => Date.now(), sleep };

/** Waits on the clock's own time (real timers only for a clock that has no `sleep`). */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep ? clock.sleep(ms, signal) : sleep(ms, signal);
}
