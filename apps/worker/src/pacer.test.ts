import { FakeClock } from "@leash/core/testing";
import { describe, expect, it } from "vitest";
import { createPacer } from "./pacer.js";

describe("createPacer", () => {
  it("rests in proportion to the CPU a step used, not to the time it waited", async () => {
    const clock = new FakeClock();
    let cpu = 0;
    const pacer = createPacer(clock, 0.5, () => cpu);
    cpu += 40;
    clock.advance(300); // the step waited on Redis most of the time
    const before = clock.now();
    await pacer.pause();
    expect(clock.now() - before).toBe(40);
    cpu += 10;
    await pacer.pause();
    expect(pacer.rested).toBe(50);
    const quarter = createPacer(clock, 0.25, () => cpu);
    cpu += 10;
    await quarter.pause();
    expect(quarter.rested).toBe(30);
  });
});
