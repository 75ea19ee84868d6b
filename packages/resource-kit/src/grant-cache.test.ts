import { describe, expect, it } from "vitest";
import { grantCache } from "./grant-cache.js";
import { frozenClock, NOW_S } from "./testing/tokens.js";
import type { LeashGrant } from "./types.js";

const grant = (expiresAt = NOW_S + 300) => ({ leaseId: "l", expiresAt }) as LeashGrant;

describe("grantCache", () => {
  it("keeps a grant for its ttl and never past the token's exp", () => {
    const clock = frozenClock();
    const cache = grantCache(30_000, 10, clock);
    cache.set("a", grant());
    cache.set("b", grant(NOW_S + 10));
    clock.advance(10_000);
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("b")).toBeUndefined();
    clock.advance(20_000);
    expect(cache.get("a")).toBeUndefined();
  });

  it("stays within its bound, dropping the oldest, and keeps nothing with a ttl of 0", () => {
    const clock = frozenClock();
    const cache = grantCache(30_000, 10, clock);
    for (let i = 0; i < 11; i += 1) cache.set(`t${i}`, grant());
    expect(cache.get("t0")).toBeUndefined();
    expect(cache.get("t10")).toBeDefined();
    const off = grantCache(0, 10, clock);
    off.set("a", grant());
    expect(off.get("a")).toBeUndefined();
  });
});
