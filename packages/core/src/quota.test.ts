import { describe, expect, it } from "vitest";
import {
  inheritedTaskQuota,
  type Quota,
  quotaBindsAgent,
  quotaExceeded,
  quotaMatches,
  quotaPools,
} from "./quota.js";

const AGENT = "spiffe://example.org/agent/a";
const lease = { agent: AGENT, provider: "vault" as const, target: "kv-reader" };

function quota(overrides: Partial<Quota> = {}): Quota {
  return { id: "q", match: {}, perAgent: false, maxLive: 10, ...overrides };
}

describe("quotaMatches: every criterion given must hold", () => {
  it.each([
    [{}, true],
    [{ agent: AGENT }, true],
    [{ agent: `${AGENT}2` }, false],
    [{ agentPrefix: "spiffe://example.org/agent/" }, true],
    [{ agentPrefix: "spiffe://example.org/other/" }, false],
    [{ provider: "vault" as const }, true],
    [{ provider: "aws-sts" as const }, false],
    [{ target: "kv-reader" }, true],
    [{ target: "db" }, false],
    [{ agentPrefix: "spiffe://example.org/", provider: "vault" as const, target: "db" }, false],
  ])("%j -> %s", (match, expected) => {
    expect(quotaMatches(quota({ match }), lease)).toBe(expected);
  });

  it("a target criterion never matches a lease without a target", () => {
    expect(quotaMatches(quota({ match: { target: "kv-reader" } }), { ...lease, target: null })).toBe(false);
  });

  it("binds an agent by its agent criteria alone (a provider-only quota binds every agent)", () => {
    expect(quotaBindsAgent(quota({ match: { provider: "aws-sts" } }), AGENT)).toBe(true);
    expect(quotaBindsAgent(quota({ match: { agentPrefix: "spiffe://x/" } }), AGENT)).toBe(false);
  });
});

describe("quotaPools", () => {
  it("one shared pool per matching quota, with only the limits it sets", () => {
    const pools = quotaPools(
      [quota({ id: "a", maxLive: 3 }), quota({ id: "b", maxLive: undefined, maxPerMinute: 5 })],
      lease,
      [],
    );
    expect(pools).toEqual([
      { quota: "a", pool: "a", live: { max: 3 } },
      { quota: "b", pool: "b", perMinute: { max: 5 } },
    ]);
  });

  it("per agent: the agent's own pool with the limits, and the quota's total counted without one", () => {
    expect(quotaPools([quota({ id: "a", perAgent: true, maxLive: 2 })], lease, [])).toEqual([
      { quota: "a", pool: `a\n${AGENT}`, live: { max: 2 } },
      { quota: "a", pool: "a", live: {} },
    ]);
  });

  it("per agent with a rate limit: the agent's own window only (no total window is kept)", () => {
    expect(
      quotaPools([quota({ id: "r", perAgent: true, maxLive: undefined, maxPerMinute: 5 })], lease, []),
    ).toEqual([{ quota: "r", pool: `r\n${AGENT}`, perMinute: { max: 5 } }]);
    expect(quotaPools([quota({ id: "b", perAgent: true, maxLive: 2, maxPerMinute: 5 })], lease, [])).toEqual([
      { quota: "b", pool: `b\n${AGENT}`, live: { max: 2 }, perMinute: { max: 5 } },
      { quota: "b", pool: "b", live: {} },
    ]);
  });

  it("skips quotas that do not match, and adds the task and every ancestor that has a quota", () => {
    const pools = quotaPools([quota({ match: { provider: "aws-sts" } })], lease, [
      { id: "child", quota: { maxIssued: 4 } },
      { id: "parent", quota: null },
      { id: "root", quota: { maxLive: 9 } },
    ]);
    expect(pools).toEqual([
      { quota: "task:child", pool: "task:child", live: {}, issued: { max: 4, taskId: "child" } },
      { quota: "task:root", pool: "task:root", live: { max: 9 }, issued: { taskId: "root" } },
    ]);
  });
});

describe("quotaExceeded", () => {
  it("is a 429 whose problem body names the quota, the limit and the maximum", () => {
    const error = quotaExceeded({ quota: "q", limit: "max_per_minute", max: 5, retryAfterSeconds: 12 });
    expect(error).toMatchObject({
      code: "quota_exceeded",
      status: 429,
      retryAfterSeconds: 12,
      extensions: { quota: "q", limit: "max_per_minute", max: 5 },
    });
    expect(error.message).toBe("quota q allows at most 5 leases per minute");
  });

  it("has no Retry-After when no slot frees at a known time", () => {
    expect(quotaExceeded({ quota: "task:t", limit: "max_issued", max: 1 }).retryAfterSeconds).toBeUndefined();
  });
});

describe("inheritedTaskQuota", () => {
  it("is the lowest of each limit over the ancestors", () => {
    expect(
      inheritedTaskQuota([
        { quota: { maxLive: 5 } },
        { quota: null },
        { quota: { maxLive: 3, maxIssued: 7 } },
      ]),
    ).toEqual({ maxLive: 3, maxIssued: 7 });
    expect(inheritedTaskQuota([{ quota: undefined }])).toEqual({});
  });
});
