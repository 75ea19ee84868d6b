import type { CredentialProvider, MintRequest, RevokeRequest } from "@leash/core";
import { describe, expect, it } from "vitest";
import { RuntimeEnv } from "./env.js";
import { type FailpointName, FailpointsSpec, withFailpoints } from "./failpoints.js";

const mintRequest = { leaseId: "ls-1" } as MintRequest;
const revokeRequest = { leaseId: "ls-1" } as RevokeRequest;

function fakeProvider(log: string[]): CredentialProvider {
  return {
    name: "leash-jwt",
    remintable: true,
    maxTtlSeconds: () => 60,
    validate: () => undefined,
    async mint() {
      log.push("mint");
      return { credential: {}, handle: {}, providerExpiresAt: 0, scope: [] };
    },
    async revoke() {
      log.push("revoke");
      return {};
    },
    async reclaim() {},
  };
}

/** Records the crash instead of dying, and stops the call there as a SIGKILL would. */
function recorder(log: string[]) {
  return (point: FailpointName) => {
    log.push(`crash:${point}`);
    throw new Error("killed");
  };
}

describe("failpoints (test-only crash points around provider calls)", () => {
  it("parses name:probability pairs and refuses unknown names and probabilities outside [0, 1]", () => {
    expect(FailpointsSpec.parse("after_write_ahead:0.05, after_mint:1")).toEqual({
      after_write_ahead: 0.05,
      after_mint: 1,
    });
    expect(FailpointsSpec.parse("")).toEqual({});
    expect(FailpointsSpec.safeParse("before_mint:0.1").success).toBe(false);
    expect(FailpointsSpec.safeParse("after_mint:2").success).toBe(false);
    expect(FailpointsSpec.safeParse("after_mint").success).toBe(false);
  });

  it("is off unless LEASH_FAILPOINTS is set, and validated with the other variables", () => {
    const base = { REDIS_URL: "redis://127.0.0.1:1", LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k" };
    expect(RuntimeEnv.parse(base).LEASH_FAILPOINTS).toBeUndefined();
    expect(RuntimeEnv.parse({ ...base, LEASH_FAILPOINTS: "after_mint:0.5" }).LEASH_FAILPOINTS).toEqual({
      after_mint: 0.5,
    });
    expect(RuntimeEnv.safeParse({ ...base, LEASH_FAILPOINTS: "nope:1" }).success).toBe(false);
  });

  it("dies after the write-ahead (before the mint) or after the mint (before activation), never otherwise", async () => {
    const log: string[] = [];
    const before = withFailpoints(fakeProvider(log), { after_write_ahead: 1 }, { crash: recorder(log) });
    await expect(before.mint(mintRequest, AbortSignal.timeout(1000))).rejects.toThrow("killed");
    expect(log).toEqual(["crash:after_write_ahead"]);

    log.length = 0;
    const after = withFailpoints(fakeProvider(log), { after_mint: 1 }, { crash: recorder(log) });
    await expect(after.mint(mintRequest, AbortSignal.timeout(1000))).rejects.toThrow("killed");
    expect(log).toEqual(["mint", "crash:after_mint"]);

    log.length = 0;
    const never = withFailpoints(fakeProvider(log), { after_mint: 0 }, { crash: recorder(log) });
    await never.mint(mintRequest, AbortSignal.timeout(1000));
    await never.revoke(revokeRequest, AbortSignal.timeout(1000));
    expect(log).toEqual(["mint", "revoke"]);
  });

  it("fires with the configured probability and keeps the provider's other members", async () => {
    const log: string[] = [];
    let draw = 0;
    const draws = [0.2, 0.7];
    const wrapped = withFailpoints(
      fakeProvider(log),
      { after_revoke: 0.5 },
      { crash: recorder(log), random: () => draws[draw++] ?? 1 },
    );
    expect(wrapped.name).toBe("leash-jwt");
    expect(wrapped.remintable).toBe(true);
    await expect(wrapped.revoke(revokeRequest, AbortSignal.timeout(1000))).rejects.toThrow("killed");
    await wrapped.revoke(revokeRequest, AbortSignal.timeout(1000));
    expect(log).toEqual(["revoke", "crash:after_revoke", "revoke"]);
  });
});
