import { randomUUID } from "node:crypto";
import { type Clock, type GatewayRevocation, systemClock } from "@leash/core";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { readRevocations } from "./gateway-revocations.js";
import { createStore } from "./index.js";
import { keyspace } from "./keys.js";
import { createLiveLeaseView, type LiveLeaseStatus, type LiveLeaseView } from "./live-lease-view.js";
import { startTcpProxy } from "./testing/tcp-proxy.js";

/**
 * The gateway's view of ended leases against a real Redis: revocations recorded by the store reach it within a
 * second, it reloads what it missed while disconnected, and it says "stale" (the gateway fails closed) once its
 * pings stop coming back. The view's connections go through a relay the test can freeze or cut.
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => redis.quit());

const target = () => {
  const url = new URL(inject("redisUrl"));
  return { host: url.hostname, port: Number(url.port) };
};

async function setup(staleMs = 1_000, clock: Clock = systemClock) {
  const prefix = `gw:{${randomUUID()}}:`;
  const store = createStore(redis, prefix, { clock });
  const proxy = await startTcpProxy(target());
  cleanups.push(() => proxy.close());
  const viewRedis = connectRedis(proxy.url, { mode: "request" });
  // The view reports what it recovers from through onError; the connection's own events are the gateway's to log.
  viewRedis.on("error", () => {});
  const subscriber = connectRedis(proxy.url, { mode: "worker" });
  cleanups.push(async () => viewRedis.disconnect());
  const view = createLiveLeaseView(
    { redis: viewRedis, subscriber, prefix },
    { staleMs, clock: systemClock, onError: () => {} },
  );
  cleanups.push(() => view.close());
  return { prefix, store, proxy, view };
}

/** Polls `check` until it holds; returns how long that took, or fails after `timeoutMs`. */
async function within(timeoutMs: number, check: () => boolean, what: string): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

const grant = (leaseId: string, issuedAt = Date.now(), upstream = "github") => ({
  leaseId,
  upstream,
  issuedAt,
});
const is = (view: LiveLeaseView, g: ReturnType<typeof grant>, status: LiveLeaseStatus) => () =>
  view.status(g) === status;

describe("the live lease view", () => {
  it("sees a revoked lease ended within 1 s, and a cut end its upstream's earlier leases only", async () => {
    const { store, view } = await setup();
    const seen: GatewayRevocation[] = [];
    view.onRevoked((entry) => seen.push(entry));
    await view.start(AbortSignal.timeout(5_000));
    const a = grant("ls_a");
    expect(view.status(a)).toBe("live");

    const revoked = Date.now();
    await store.gatewayRevocations.record([{ kind: "lease", leaseId: "ls_a", expiresAt: revoked + 60_000 }]);
    expect(await within(1_000, is(view, a, "ended"), "ended")).toBeLessThan(1_000);
    expect(view.status(grant("ls_b"))).toBe("live");

    const cutAt = Date.now();
    const cut = { kind: "cut", upstream: "github", issuedBefore: cutAt, expiresAt: cutAt + 60_000 } as const;
    await store.gatewayRevocations.record([cut]);
    await within(1_000, is(view, grant("ls_c", cutAt - 1), "ended"), "cut");
    expect(view.status(grant("ls_d", cutAt))).toBe("live");
    expect(view.status(grant("ls_e", cutAt - 1, "slack"))).toBe("live");
    // Recording the same entry again announces it again, but listeners hear of each revocation once.
    await store.gatewayRevocations.record([cut]);
    expect(seen).toEqual([{ kind: "lease", leaseId: "ls_a", expiresAt: revoked + 60_000 }, cut]);
  });

  it("loads what was recorded before it started", async () => {
    const { store, view } = await setup();
    await store.gatewayRevocations.record([
      { kind: "lease", leaseId: "ls_old", expiresAt: Date.now() + 60_000 },
    ]);
    await view.start(AbortSignal.timeout(5_000));
    expect(view.status(grant("ls_old"))).toBe("ended");
    expect(view.status(grant("ls_new"))).toBe("live");
  });

  it("turns stale within staleMs once Redis stops answering, and current again once it answers", async () => {
    const staleMs = 400;
    const { proxy, view } = await setup(staleMs);
    await view.start(AbortSignal.timeout(5_000));
    const g = grant("ls_a");
    expect(view.status(g)).toBe("live");
    proxy.freeze();
    // Timer granularity on a loaded machine is the only slack.
    expect(await within(staleMs + 250, is(view, g, "stale"), "stale")).toBeLessThanOrEqual(staleMs + 250);
    proxy.heal();
    await within(5_000, is(view, g, "live"), "live again");
  });

  it("after losing its connection, reloads the revocations it missed", async () => {
    const { store, proxy, view } = await setup(400);
    await view.start(AbortSignal.timeout(5_000));
    const g = grant("ls_missed");
    proxy.cut();
    await within(2_000, is(view, g, "stale"), "stale");
    // Announced while the view's subscription is down: only the recorded set can tell it.
    await store.gatewayRevocations.record([
      { kind: "lease", leaseId: "ls_missed", expiresAt: Date.now() + 60_000 },
    ]);
    expect(view.status(g)).toBe("stale");
    proxy.heal();
    await within(10_000, is(view, g, "ended"), "ended after reconnecting");
    await within(5_000, is(view, grant("ls_other"), "live"), "current again");
  });

  it("start() rejects when its signal aborts before the view is current", async () => {
    const { proxy, view } = await setup();
    proxy.cut();
    await expect(view.start(AbortSignal.timeout(300))).rejects.toThrow();
  });
});

describe("the recorded revocations", () => {
  it("drop entries past their expiry at the next record, so Redis keeps only what still matters", async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = { now: () => now };
    const prefix = `gw:{${randomUUID()}}:`;
    const store = createStore(redis, prefix, { clock });
    const keys = keyspace(prefix);
    const lease = (leaseId: string, expiresAt: number) => ({ kind: "lease", leaseId, expiresAt }) as const;
    await store.gatewayRevocations.record([lease("ls_1", now + 1_000), lease("ls_2", now + 5_000)]);
    await store.gatewayRevocations.record([lease("ls_2", now + 5_000)]);
    expect(await redis.zcard(keys.gatewayRevocations)).toBe(2);
    now += 2_000;
    expect(await readRevocations(redis, keys, now)).toEqual([lease("ls_2", now + 3_000)]);
    // An entry already past its expiry is not even written.
    await store.gatewayRevocations.record([lease("ls_3", now - 1)]);
    expect(await redis.zrange(keys.gatewayRevocations, 0, -1)).toEqual([
      JSON.stringify(lease("ls_2", now + 3_000)),
    ]);
  });
});
