import { describe, expect, it } from "vitest";
import {
  apiKillPhase,
  providerLatencyPhase,
  providerOutagePhase,
  redisRestartPhase,
  workerKillPhase,
} from "./support/faults.js";
import { runChaos } from "./support/run.js";

/**
 * The short form of the fault-injection suite (part of `pnpm test`): every fault once, briefly, with a 5 s provider
 * outage instead of 30 s. The full form is faults.chaos.test.ts.
 */
describe("no credential outlives its lease under faults (short form)", () => {
  it("every credential the emulators issued stopped within its bound; none alive, no lease record lost", async () => {
    const result = await runChaos({
      agents: 6,
      apiFailpoints: "after_write_ahead:0.02,after_mint:0.02",
      drainMs: 2_000,
      finalDrainMs: 45_000,
      phases: [
        apiKillPhase(5_000),
        workerKillPhase(5_000),
        redisRestartPhase(4_000),
        providerOutagePhase(5_000),
        providerLatencyPhase(4_000),
      ],
    });
    const total = result.rows.at(-1);
    expect(result.orders.taskEnds, "no task end was acknowledged").toBeGreaterThan(0);
    expect(result.orders.returns, "no lease was returned").toBeGreaterThan(0);
    expect(result.orders.campaigns, "no mass revocation was ordered").toBeGreaterThan(0);
    expect(total?.issued).toBeGreaterThan(50);
    const { apiKills, apiCrashes } = result.processes;
    expect(apiKills + apiCrashes, "the API was never killed").toBeGreaterThan(0);
    expect(result.processes.workerKills, "the worker was never killed").toBeGreaterThan(0);
    for (const row of result.rows) expect(row.issued, `no credential in ${row.phase}`).toBeGreaterThan(0);
    const late = result.judged.filter((j) => j.verdict !== "on_time");
    expect(late).toEqual([]);
    expect(total).toMatchObject({ late: 0, alive: 0, lost: 0 });
    expect(result.auditChainOk).toBe(true);
  }, 180_000);
});
