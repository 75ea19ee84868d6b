import { LeashError } from "@leash/core";
import type { GatewayGrant } from "@leash/providers";
import { describe, expect, it } from "vitest";
import { cachedVerifier } from "./token-cache.js";

function counting() {
  const calls: string[] = [];
  return {
    calls,
    async verify(token: string, upstream: string): Promise<GatewayGrant> {
      calls.push(`${upstream}:${token}`);
      if (token === "bad") throw new LeashError("unauthenticated", "gateway token is not valid");
      return { leaseId: token, upstream } as GatewayGrant;
    },
  };
}

describe("verified tokens, kept briefly", () => {
  it("verifies a token once per upstream within the TTL, and again after it", async () => {
    const clock = {
      at: 0,
      now() {
        return this.at;
      },
    };
    const inner = counting();
    const v = cachedVerifier(inner, { clock, ttlMs: 1_000 });
    await v.verify("t", "api");
    await v.verify("t", "api");
    await v.verify("t", "other");
    expect(inner.calls).toEqual(["api:t", "other:t"]);
    clock.at = 1_000;
    await v.verify("t", "api");
    expect(inner.calls).toHaveLength(3);
  });

  it("never keeps a failure", async () => {
    const inner = counting();
    const v = cachedVerifier(inner, { clock: { now: () => 0 } });
    await expect(v.verify("bad", "api")).rejects.toMatchObject({ code: "unauthenticated" });
    await expect(v.verify("bad", "api")).rejects.toMatchObject({ code: "unauthenticated" });
    expect(inner.calls).toHaveLength(2);
  });

  it("stays within its size, forgetting the oldest", async () => {
    const inner = counting();
    const v = cachedVerifier(inner, { clock: { now: () => 0 }, maxEntries: 10 });
    for (let i = 0; i < 11; i++) await v.verify(`t${i}`, "api");
    await v.verify("t0", "api");
    await v.verify("t10", "api");
    expect(inner.calls.filter((c) => c === "api:t0")).toHaveLength(2);
    expect(inner.calls.filter((c) => c === "api:t10")).toHaveLength(1);
  });
});
