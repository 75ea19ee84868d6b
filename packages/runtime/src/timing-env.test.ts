import { afterEach, describe, expect, it, vi } from "vitest";
import { loadEnv, RuntimeEnv } from "./env.js";

const base = { LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k", REDIS_URL: "redis://h:1" };
const problems = (env: Record<string, string>) => {
  const parsed = RuntimeEnv.safeParse({ ...base, ...env });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

afterEach(() => vi.restoreAllMocks());

describe("LEASH_PENDING_GRACE_MS must exceed LEASH_MINT_TIMEOUT_MS", () => {
  // Otherwise the reconciler would abort a lease whose mint is still running, and the credential minted a moment
  // later would exist at the provider under an aborted lease.
  it("accepts the defaults and a grace longer than the mint timeout", () => {
    expect(problems({})).toEqual([]);
    expect(problems({ LEASH_MINT_TIMEOUT_MS: "5000", LEASH_PENDING_GRACE_MS: "5001" })).toEqual([]);
  });

  it("refuses a grace equal to or shorter than the mint timeout, naming both variables", () => {
    for (const grace of ["10000", "3000"]) {
      const found = problems({ LEASH_MINT_TIMEOUT_MS: "10000", LEASH_PENDING_GRACE_MS: grace });
      expect(found).toEqual([expect.stringMatching(/^LEASH_PENDING_GRACE_MS: .*LEASH_MINT_TIMEOUT_MS/)]);
    }
    // The default grace (30 s) against a longer mint timeout.
    expect(problems({ LEASH_MINT_TIMEOUT_MS: "45000" })).toHaveLength(1);
  });

  it("loadEnv exits 2 with a message naming both, and never a value", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    let written = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written += String(chunk);
      return true;
    });
    expect(() =>
      loadEnv({ ...base, LEASH_MINT_TIMEOUT_MS: "12345", LEASH_PENDING_GRACE_MS: "6789" }),
    ).toThrow("exit 2");
    expect(exit).toHaveBeenCalledWith(2);
    expect(written).toMatch(/LEASH_PENDING_GRACE_MS/);
    expect(written).toMatch(/LEASH_MINT_TIMEOUT_MS/);
    expect(written).not.toMatch(/12345|6789/);
  });
});
