import { randomUUID } from "node:crypto";
import { type Suspension, type SuspensionCheck, systemClock } from "@leash/core";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { connectRedis } from "./connection.js";
import { createStore } from "./index.js";
import { keyspace } from "./keys.js";
import { createSuspensionView, tellingView } from "./suspension-view.js";
import { startTcpProxy } from "./testing/tcp-proxy.js";

/**
 * The API's in-memory view of the suspensions against a real Redis: it answers the door without a read per request
 * while it proves itself current, sees what another process records or lifts once announced, and reads Redis
 * whenever it cannot tell (not loaded, its subscription frozen or cut, an agent announced and not read again). The
 * view's connections go through a relay the test can freeze or cut; the "other process" writes directly.
 */
const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => redis.quit());

const A = "spiffe://t/agent/a";
const B = "spiffe://t/agent/b";
const suspension = (agent: string, overrides: Partial<Suspension> = {}): Suspension => ({
  agent,
  reason: "incident 7",
  until: null,
  by: "spiffe://t/security/sam",
  at: Date.now(),
  ...overrides,
});

async function setup(staleMs = 400) {
  const prefix = `sv:{${randomUUID()}}:`;
  const store = createStore(redis, prefix);
  const url = new URL(inject("redisUrl"));
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
  cleanups.push(() => proxy.close());
  const viewRedis = connectRedis(proxy.url, { mode: "request" });
  viewRedis.on("error", () => {});
  cleanups.push(async () => viewRedis.disconnect());
  const subscriber = connectRedis(proxy.url, { mode: "worker" });
  subscriber.on("error", () => {});
  // The door's read before the view, counted: every answer the view cannot give from memory is one of these.
  const reads = { n: 0 };
  const fallback: SuspensionCheck = {
    firstSuspended: (agents, now) => {
      reads.n++;
      return store.suspensions.firstSuspended(agents, now);
    },
  };
  const view = createSuspensionView(
    { redis: viewRedis, subscriber, prefix, fallback },
    { staleMs, clock: systemClock, onError: () => {} },
  );
  cleanups.push(async () => view.close());
  return { prefix, store, proxy, view, reads };
}

async function within(timeoutMs: number, check: () => Promise<boolean> | boolean, what: string) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const suspendedNow = async (view: SuspensionCheck, agent: string) =>
  (await view.firstSuspended([agent], Date.now()))?.agent === agent;

describe("the suspension view", () => {
  it("answers from memory once current, and sees a suspension and a lift by another process once announced", async () => {
    const { store, view, reads } = await setup();
    await store.suspensions.suspend(suspension(B, { until: Date.now() + 60_000 }), true);
    expect(await view.firstSuspended([A], Date.now())).toBeNull();
    expect(reads.n).toBe(1); // not started: Redis is read
    view.start();
    await within(2_000, () => view.current(), "current");

    await store.suspensions.suspend(suspension(A), true);
    await within(1_000, () => suspendedNow(view, A), "suspended");
    await within(
      1_000,
      async () => {
        reads.n = 0;
        await view.firstSuspended([A], Date.now());
        return reads.n === 0;
      },
      "read again",
    );
    for (let i = 0; i < 100; i++) expect((await view.firstSuspended([B, A], Date.now()))?.agent).toBe(B);
    // `until` is honoured from memory as the store honours it.
    expect((await view.firstSuspended([B, A], Date.now() + 120_000))?.agent).toBe(A);
    expect(reads.n).toBe(0);

    await store.suspensions.lift(A);
    await within(1_000, async () => !(await suspendedNow(view, A)), "lifted");
  });

  it("reads Redis while it cannot prove itself current: subscription frozen or cut, and until reloaded", async () => {
    const { store, proxy, view, reads } = await setup(400);
    view.start();
    await within(2_000, () => view.current(), "current");

    proxy.freeze();
    await within(1_000, () => !view.current(), "stale");
    // Recorded meanwhile, and never announced to the view: its door reads Redis, so it refuses at once.
    await store.suspensions.suspend(suspension(A), true);
    reads.n = 0;
    expect(await suspendedNow(view, A)).toBe(true);
    expect(reads.n).toBe(1);
    proxy.heal();
    await within(2_000, () => view.current(), "current again");
    expect(await suspendedNow(view, A)).toBe(true);

    proxy.cut();
    await within(1_000, () => !view.current(), "disconnected");
    await store.suspensions.lift(A);
    await store.suspensions.suspend(suspension(B), true);
    expect(await suspendedNow(view, B)).toBe(true);
    proxy.heal();
    // A new session loads what was missed while cut.
    await within(5_000, () => view.current(), "reloaded");
    reads.n = 0;
    expect(await suspendedNow(view, B)).toBe(true);
    expect(await suspendedNow(view, A)).toBe(false);
    expect(reads.n).toBe(0);
  });

  it("the process that records a suspension refuses at its own door from then on, before any announcement", async () => {
    const { prefix, store, proxy, view } = await setup(60_000);
    view.start();
    await within(2_000, () => view.current(), "current");
    // The feed is held up (frozen relay, long staleness): only `changed` can tell the view.
    proxy.freeze();
    const suspensions = tellingView(store.suspensions, view);
    await suspensions.suspend(suspension(A), true);
    expect(await suspendedNow(view, A)).toBe(true);
    // The same for a write the view learns of only by being told (what `tellingView` does after each write).
    await redis.hset(keyspace(prefix).suspensions, B, JSON.stringify(suspension(B)));
    expect(await suspendedNow(view, B)).toBe(false);
    view.changed(B);
    expect(await suspendedNow(view, B)).toBe(true);
    await suspensions.lift(A);
    expect(await suspendedNow(view, A)).toBe(false);
    proxy.heal();
  });
});
