import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { distinctPort, freePort, quietRange } from "./free-port.js";

describe("freePort", () => {
  it("never hands out the same port twice, even when the OS offers it again", async () => {
    const offers = [40_001, 40_001, 40_001, 40_002];
    const allocate = async () => offers.shift() ?? 0;
    const seen = new Set<number>();
    expect([await distinctPort(allocate, seen), await distinctPort(allocate, seen)]).toEqual([
      40_001, 40_002,
    ]);
  });

  it("hands out ports outside the ephemeral range, which outgoing connections take from", async () => {
    const [from, to] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port < (from as number) || port > (to as number)).toBe(true);
    expect(new Set(ports).size).toBe(20);
  });

  it("uses the ports above the ephemeral range when those below it are too few", () => {
    expect(quietRange({ from: 32_768, to: 60_999 })).toEqual({ from: 20_000, to: 32_767 });
    expect(quietRange({ from: 20_500, to: 40_000 })).toEqual({ from: 40_001, to: 65_535 });
    expect(quietRange({ from: 1_024, to: 65_535 })).toBeUndefined();
  });
});
