import { describe, expect, it } from "vitest";
import { sleepOn, systemClock } from "./clock.js";

describe("systemClock.sleep", () => {
  it("rejects with the signal's own reason, so callers see why they were stopped", async () => {
    const reason = new Error("shutting down");
    await expect(systemClock.sleep?.(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const sleeping = systemClock.sleep?.(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });

  it("resolves once the time has passed", async () => {
    const started = Date.now();
    await systemClock.sleep?.(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});

describe("sleepOn", () => {
  it("waits on real timers for a clock without sleep, stopped by the signal's reason", async () => {
    const reason = new Error("cancelled");
    await expect(sleepOn({ now: () => 0 }, 60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
