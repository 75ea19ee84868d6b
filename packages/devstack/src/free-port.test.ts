import { describe, expect, it } from "vitest";
import { distinctPort } from "./free-port.js";

describe("freePort", () => {
  it("never hands out the same port twice, even when the OS offers it again", async () => {
    const offers = [40_001, 40_001, 40_001, 40_002];
    const allocate = async () => offers.shift() ?? 0;
    const seen = new Set<number>();
    expect([await distinctPort(allocate, seen), await distinctPort(allocate, seen)]).toEqual([
      40_001, 40_002,
    ]);
  });
});
