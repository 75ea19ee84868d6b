import { describe, expect, it } from "vitest";
import { leaseTtlSeconds } from "./ttl.js";

describe("least privilege: TTL never exceeds the task deadline or any cap", () => {
  const now = 1_000_000;
  it("takes the smallest of requested, caps and time left", () => {
    expect(
      leaseTtlSeconds({
        requestedSeconds: 600,
        defaultSeconds: 300,
        caps: [900, undefined],
        deadlineMs: now + 3_600_000,
        nowMs: now,
      }),
    ).toBe(600);
    expect(
      leaseTtlSeconds({
        requestedSeconds: 600,
        defaultSeconds: 300,
        caps: [120],
        deadlineMs: now + 3_600_000,
        nowMs: now,
      }),
    ).toBe(120);
    expect(
      leaseTtlSeconds({
        requestedSeconds: 600,
        defaultSeconds: 300,
        caps: [],
        deadlineMs: now + 45_500,
        nowMs: now,
      }),
    ).toBe(45);
  });
  it("uses the default when nothing is requested, and 0 when the task is over", () => {
    expect(
      leaseTtlSeconds({
        requestedSeconds: undefined,
        defaultSeconds: 300,
        caps: [],
        deadlineMs: now + 3_600_000,
        nowMs: now,
      }),
    ).toBe(300);
    expect(
      leaseTtlSeconds({
        requestedSeconds: 60,
        defaultSeconds: 300,
        caps: [],
        deadlineMs: now - 1,
        nowMs: now,
      }),
    ).toBe(0);
  });
});

describe("a lease that needs a break-glass grant ends no later than the grant", () => {
  const now = 1_000_000;
  it("the grant's end caps the TTL like the task deadline, whichever comes first", () => {
    const base = { requestedSeconds: 120, defaultSeconds: 300, caps: [3600], nowMs: now };
    expect(leaseTtlSeconds({ ...base, deadlineMs: now + 600_000, grantEndMs: now + 4_000 })).toBe(4);
    expect(leaseTtlSeconds({ ...base, deadlineMs: now + 2_000, grantEndMs: now + 4_000 })).toBe(2);
    expect(leaseTtlSeconds({ ...base, deadlineMs: now + 600_000, grantEndMs: now - 1 })).toBe(0);
    expect(leaseTtlSeconds({ ...base, deadlineMs: now + 600_000, grantEndMs: undefined })).toBe(120);
  });
});
