import { ENTRYPOINTS, spawnTs } from "@leash/devstack";
import { describe, expect, inject, it } from "vitest";

describe("start-up refuses timings that would break the reconciler", () => {
  it("the API and the worker exit 2 when LEASH_PENDING_GRACE_MS does not exceed LEASH_MINT_TIMEOUT_MS, naming both", async () => {
    const env = {
      ...process.env,
      PORT: "0",
      REDIS_URL: inject("redisUrl"),
      LEASH_CONFIG: "/nonexistent/leash.json",
      LEASH_SIGNING_KEY_FILE: "/nonexistent/keys.json",
      LEASH_MINT_TIMEOUT_MS: "20000",
      LEASH_PENDING_GRACE_MS: "15000",
    };
    for (const name of ["api", "worker"] as const) {
      const proc = spawnTs(name, ENTRYPOINTS[name], { env });
      const code = await Promise.race([
        proc.exited,
        new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 30_000)),
      ]);
      if (code === "running") await proc.kill();
      expect(code, proc.output()).toBe(2);
      expect(proc.output()).toMatch(/LEASH_PENDING_GRACE_MS: .*LEASH_MINT_TIMEOUT_MS/);
    }
  });
});
