import type { Clock } from "../clock.js";

/** A clock that stands still until told to move; sleeping on it moves it, so waits take no real time. */
export class FakeClock implements Clock {
  constructor(private nowMs = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.nowMs;
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }

  set(ms: number): void {
    this.nowMs = ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.nowMs += ms;
    await Promise.resolve();
  }
}
