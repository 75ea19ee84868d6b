import { describe, expect, it } from "vitest";
import { benchPolicyDecisions } from "./bench.js";

describe("benchPolicyDecisions", () => {
  it("pads the example set to the requested size and reports sane latency figures", async () => {
    const result = await benchPolicyDecisions({ policies: 40, decisions: 400 });
    expect(result.policies).toBe(40);
    expect(result.decisions).toBe(400);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    expect(Number.isFinite(result.p99Ms)).toBe(true);
    expect(result.perSecond).toBeGreaterThan(0);
    expect(result.cpuMsPerDecision).toBeGreaterThan(0);
    // The request pool is varied: some decisions allow, most deny.
    expect(result.allowed).toBeGreaterThan(0);
    expect(result.allowed).toBeLessThan(400);
  });
});
