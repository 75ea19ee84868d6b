import { afterEach, describe, expect, it, vi } from "vitest";
import { loadEnv, RuntimeEnv } from "./env.js";

const base = { LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k", REDIS_URL: "redis://h:1" };

afterEach(() => vi.restoreAllMocks());

describe("LEASH_LEASE_RETENTION_SECONDS", () => {
  it("defaults to 7 days and takes whole seconds", () => {
    expect(RuntimeEnv.parse(base).LEASH_LEASE_RETENTION_SECONDS).toBe(604_800);
    expect(
      RuntimeEnv.parse({ ...base, LEASH_LEASE_RETENTION_SECONDS: "60" }).LEASH_LEASE_RETENTION_SECONDS,
    ).toBe(60);
  });

  it("refuses 0, a negative, a fraction or text at start-up (exit 2), naming the variable", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    let written = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written += String(chunk);
      return true;
    });
    for (const bad of ["0", "-5", "1.5", "week"]) {
      written = "";
      expect(() => loadEnv({ ...base, LEASH_LEASE_RETENTION_SECONDS: bad })).toThrow("exit 2");
      expect(written).toContain("LEASH_LEASE_RETENTION_SECONDS");
    }
    expect(exit).toHaveBeenCalledWith(2);
  });
});
