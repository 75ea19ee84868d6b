import { describe, expect, it } from "vitest";
import { backoffMs, neverSent, retryAfterMs } from "./retry.js";

describe("backoffMs", () => {
  it("doubles each step, caps it, and keeps at least half of it whatever the jitter", () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 100, 10_000, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 100, 10_000, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(20, 100, 5_000, () => 1)).toBe(5_000);
  });
});

describe("retryAfterMs (RFC 9110 §10.2.3)", () => {
  it("reads delay-seconds and HTTP dates, and ignores garbage", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe("neverSent", () => {
  it("is true only for failures before any connection existed", () => {
    const wrap = (code: string) =>
      new TypeError("fetch failed", { cause: Object.assign(new Error(), { code }) });
    expect(neverSent(wrap("ECONNREFUSED"))).toBe(true);
    expect(neverSent(wrap("ENOTFOUND"))).toBe(true);
    expect(neverSent(wrap("ECONNRESET"))).toBe(false);
    expect(neverSent(new Error("timeout"))).toBe(false);
  });
});
