import { randomUUID } from "node:crypto";
import type { AuditEvent, BatchAuditSink } from "@leash/core";
import { FakeClock } from "@leash/core/testing";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { RedisGatewayTraffic } from "./gateway-traffic.js";
import { keyspace } from "./keys.js";

/**
 * Gateway traffic counters: what the console shows per lease and per agent, counted from the gateway's audited
 * batches, never before the batch is in the audit log, and bounded by expiry.
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

const DAY = 86_400_000;
const AGENT = "spiffe://t/agent/gw";
let clock: FakeClock;
let traffic: RedisGatewayTraffic;
let prefix: string;
beforeEach(() => {
  prefix = `t:{${randomUUID()}}:`;
  clock = new FakeClock(Date.UTC(2026, 0, 10, 12));
  traffic = new RedisGatewayTraffic(redis, keyspace(prefix), clock);
});

/** A `gateway.request` event as the gateway audits it. */
function request(
  leaseId: string | undefined,
  over: Partial<AuditEvent> & Record<string, unknown> = {},
): AuditEvent {
  const { upstream = "demo-api", status = 200, reason, bytes_out = 100, outcome = "ok", ...rest } = over;
  return {
    type: "gateway.request",
    actor: leaseId ? AGENT : null,
    ...(leaseId ? { agent: AGENT, taskId: "tk_1", leaseId } : {}),
    outcome: outcome as AuditEvent["outcome"],
    detail: {
      upstream,
      method: "GET",
      path: "repos/x",
      status,
      ...(reason ? { reason } : {}),
      bytes_in: 10,
      bytes_out,
      duration_ms: 1.5,
    },
    ...rest,
  };
}

describe("gateway traffic counters", () => {
  it("counts a lease's requests by outcome, status class and refusal reason, with bytes, time and instants", async () => {
    const started = clock.now();
    await traffic.record(
      [
        request("ls_a"),
        request("ls_a", { status: 404 }),
        request("ls_a", { outcome: "denied", status: 403, reason: "outside_intent", bytes_out: 0 }),
        request("ls_b"),
        request(undefined, { outcome: "denied", status: 401, reason: "unauthenticated" }),
        { type: "lease.issued", actor: AGENT, leaseId: "ls_a", outcome: "ok" },
      ],
      DAY,
    );
    clock.advance(5_000);
    await traffic.record(
      [request("ls_a", { outcome: "failed", reason: "lease_not_live", bytes_out: 7 })],
      DAY,
    );
    expect(await traffic.lease("ls_a")).toEqual({
      requests: 4,
      relayed: 2,
      refused: 1,
      cut: 1,
      bytesIn: 40,
      bytesOut: 207,
      durationMs: 6,
      byStatus: { "2xx": 1, "4xx": 1 },
      byReason: { outside_intent: 1, lease_not_live: 1 },
      first: started,
      last: started + 5_000,
    });
    expect((await traffic.lease("ls_b"))?.requests).toBe(1);
    expect(await traffic.lease("ls_none")).toBeNull();
  });

  it("sums an agent's traffic by upstream over the last days, and drops counters after the retention", async () => {
    await traffic.record([request("ls_a"), request("ls_s3", { upstream: "leash-docs" })], 3 * DAY);
    clock.advance(DAY);
    await traffic.record([request("ls_a"), request("ls_a", { bytes_out: 1 })], 3 * DAY);
    const both = await traffic.agent(AGENT, 7);
    expect(both.map((u) => [u.upstream, u.requests, u.bytesOut])).toEqual([
      ["demo-api", 3, 201],
      ["leash-docs", 1, 100],
    ]);
    expect(both[0]?.first).toBe(clock.now() - DAY);
    expect((await traffic.agent(AGENT, 1)).map((u) => [u.upstream, u.requests])).toEqual([["demo-api", 2]]);
    expect(await traffic.agent("spiffe://t/agent/other", 7)).toEqual([]);
    const ttl = await redis.pttl(keyspace(prefix).gatewayTrafficLease("ls_a"));
    expect(ttl).toBeGreaterThan(3 * DAY - 60_000);
    expect(ttl).toBeLessThanOrEqual(3 * DAY);
  });

  it("counts a batch only once the audit log took it, and a counting failure never fails the append", async () => {
    const appended: AuditEvent[] = [];
    let fail = true;
    const sink: BatchAuditSink = {
      append: async (e) => {
        appended.push(e);
      },
      appendMany: async (events) => {
        if (fail) throw new Error("redis down");
        appended.push(...events);
      },
    };
    const errors: unknown[] = [];
    const counting = traffic.counting(sink, { retentionMs: DAY, onError: (e) => errors.push(e) });
    await expect(counting.appendMany([request("ls_a")])).rejects.toThrow("redis down");
    expect(await traffic.lease("ls_a")).toBeNull();
    fail = false;
    await counting.appendMany([request("ls_a")]);
    expect((await traffic.lease("ls_a"))?.requests).toBe(1);

    const unreachable = connectRedis("redis://127.0.0.1:1", { mode: "request", name: "unreachable" });
    unreachable.on("error", () => undefined);
    try {
      const survives = new RedisGatewayTraffic(unreachable, keyspace(prefix), clock).counting(sink, {
        retentionMs: DAY,
        onError: (e) => errors.push(e),
      });
      await survives.appendMany([request("ls_c")]);
      expect(appended).toHaveLength(2);
      expect(errors).toHaveLength(1);
    } finally {
      unreachable.disconnect();
    }
  });
});
