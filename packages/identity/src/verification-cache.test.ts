import type { WorkloadIdentity } from "@leash/core";
import { describe, expect, it } from "vitest";
import { VerificationCache } from "./verification-cache.js";

const identity = (subject: string): WorkloadIdentity => ({
  subject,
  issuer: "https://issuer.example",
  roles: new Set(),
  expiresAt: 10_000,
});

describe("VerificationCache", () => {
  it("returns an entry strictly before its deadline and never at or after it", () => {
    const cache = new VerificationCache(10);
    cache.set("k", identity("a"), 1_000);
    expect(cache.get("k", 999)?.subject).toBe("a");
    expect(cache.get("k", 1_000)).toBeUndefined();
    // An expired entry is dropped, not kept for an earlier clock reading.
    expect(cache.get("k", 0)).toBeUndefined();
  });

  it("stays within its capacity, evicting the least recently used entry", () => {
    const cache = new VerificationCache(2);
    cache.set("a", identity("a"), 1_000);
    cache.set("b", identity("b"), 1_000);
    cache.get("a", 0);
    cache.set("c", identity("c"), 1_000);
    expect(cache.size).toBe(2);
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("a", 0)?.subject).toBe("a");
    expect(cache.get("c", 0)?.subject).toBe("c");
  });

  it("holds nothing when its capacity is 0", () => {
    const cache = new VerificationCache(0);
    cache.set("a", identity("a"), 1_000);
    expect(cache.get("a", 0)).toBeUndefined();
  });

  it("keys by a SHA-256 digest, so the token itself is not held", () => {
    const key = VerificationCache.keyOf("header.payload.signature");
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain("payload");
  });
});
