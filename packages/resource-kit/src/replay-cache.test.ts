import { describe, expect, it } from "vitest";
import { memoryReplayCache, ReplayCacheFull } from "./replay-cache.js";

describe("memoryReplayCache", () => {
  it("accepts a jti once until it expires, then again", () => {
    const cache = memoryReplayCache();
    expect(cache.useOnce("a", 1_000, 0)).toBe(true);
    expect(cache.useOnce("a", 1_000, 999)).toBe(false);
    expect(cache.useOnce("a", 2_000, 1_000)).toBe(true);
  });

  it("forgets expired entries and refuses to grow past its bound while they are live", () => {
    const cache = memoryReplayCache(2);
    cache.useOnce("a", 100, 0);
    cache.useOnce("b", 200, 0);
    expect(() => cache.useOnce("c", 300, 50)).toThrow(ReplayCacheFull);
    expect(cache.useOnce("c", 300, 150)).toBe(true);
    expect(cache.useOnce("b", 300, 150)).toBe(false);
  });
});
