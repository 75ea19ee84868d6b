import { randomUUID } from "node:crypto";
import { type Clock, type GatewayGrantRef, type GatewayRevocation, GatewayRevocationSet } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { feedMessage, pingMessage, readRevocations } from "./gateway-revocations.js";
import { keyspace } from "./keys.js";
import { loadScript } from "./scripts.js";

export type LiveLeaseStatus = "live" | "ended" | "stale";

/** A gateway's in-memory view of which gateway leases have ended, kept current from Redis by subscription. */
export interface LiveLeaseView {
  /**
   * Subscribes, then loads the recorded revocations; resolves once the view is current (its first ping came back),
   * rejects when `signal` aborts first.
   */
  start(signal?: AbortSignal): Promise<void>;
  /**
   * `ended`: a recorded revocation covers the grant. `stale`: the view has not proved itself current within
   * `staleMs` (the caller fails closed). `live` otherwise: nothing known ends it (its `exp` is the caller's check).
   */
  status(grant: GatewayGrantRef): LiveLeaseStatus;
  /** Called once for each revocation the view learns (by message or by reloading), to cut responses in flight. */
  onRevoked(listener: (entry: GatewayRevocation) => void): () => void;
  /** Stops pinging and closes the subscriber connection (the command connection is the caller's). */
  close(): Promise<void>;
}

export interface LiveLeaseViewDeps {
  /** Commands: reading the recorded revocations, publishing pings. Shared; left open by `close`. */
  redis: RedisClient;
  /** A connection of the view's own for the subscription (e.g. `connectRedis(target, { mode: "worker" })`). */
  subscriber: RedisClient;
  /** LEASH_REDIS_PREFIX. */
  prefix: string;
}

export interface LiveLeaseViewOptions {
  /** The view counts as current while its last ping came back within this (LEASH_GATEWAY_STALE_MS). */
  staleMs: number;
  clock: Clock;
  /** Redis errors the view recovers from by itself (reconnecting, reloading), for logs. */
  onError?: (error: Error) => void;
}

/**
 * Freshness: every `staleMs / 4` the view publishes a ping on the revocation channel from the node that records
 * revocations (`gateway_ping.lua`). A subscriber receives what one node publishes in the order it was published,
 * so once a ping sent at `t` comes back, every revocation recorded before `t` has been applied; the view counts as
 * current while that `t` is within `staleMs` of now. A subscription that drops starts a new session: pings of an
 * earlier one do not count, and the recorded revocations are read again after subscribing, since messages
 * published meanwhile were lost.
 */
export function createLiveLeaseView(deps: LiveLeaseViewDeps, opts: LiveLeaseViewOptions): LiveLeaseView {
  const { redis, subscriber } = deps;
  const keys = keyspace(deps.prefix);
  const { clock, staleMs } = opts;
  const id = randomUUID();
  const publishPing = loadScript(redis, "gatewayPing");
  const revoked = new GatewayRevocationSet();
  const listeners = new Set<(entry: GatewayRevocation) => void>();
  const waiters = new Set<() => void>();
  /** Bumped whenever the subscription is lost or renewed: only the current session's pings and loads count. */
  let session = 0;
  let loaded = -1;
  /** When the newest ping of the current, loaded session that came back was sent. */
  let currentAsOf = Number.NEGATIVE_INFINITY;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const report = (error: unknown) => {
    if (!closed) opts.onError?.(error instanceof Error ? error : new Error(String(error)));
  };

  function apply(entries: readonly GatewayRevocation[]): void {
    for (const entry of entries) {
      if (!revoked.add(entry)) continue;
      for (const listener of listeners) listener(entry);
    }
  }

  function ping(): void {
    if (closed || loaded !== session) return;
    const message = pingMessage(id, session, clock.now());
    publishPing([keys.gatewayRevocations], [keys.gatewayChannel, message]).catch(report);
  }

  function onMessage(channel: string, text: string): void {
    if (channel !== keys.gatewayChannel) return;
    const message = feedMessage(text);
    if (message?.t === "rev") apply(message.entries);
    if (message?.t !== "ping" || message.view !== id) return;
    if (message.session !== session || loaded !== session) return;
    currentAsOf = Math.max(currentAsOf, message.at);
    for (const wake of waiters) wake();
  }

  function lost(): void {
    session += 1;
    currentAsOf = Number.NEGATIVE_INFINITY;
  }

  /** Subscribe, then read what was recorded before, retrying the read until it works or the session ends. */
  async function resync(): Promise<void> {
    const mine = ++session;
    currentAsOf = Number.NEGATIVE_INFINITY;
    try {
      await subscriber.subscribe(keys.gatewayChannel);
    } catch (error) {
      return report(error);
    }
    while (!closed && session === mine) {
      try {
        apply(await readRevocations(redis, keys, clock.now()));
        if (session !== mine) return;
        loaded = mine;
        return ping();
      } catch (error) {
        report(error);
        await new Promise((r) => setTimeout(r, Math.min(staleMs, 1_000)));
      }
    }
  }

  function tick(): void {
    revoked.prune(clock.now());
    ping();
  }

  const onReady = () => void resync();
  const onError = (error: Error) => report(error);

  return {
    async start(signal) {
      subscriber.on("message", onMessage);
      subscriber.on("ready", onReady);
      subscriber.on("close", lost);
      subscriber.on("error", onError);
      timer = setInterval(tick, Math.max(1, Math.floor(staleMs / 4)));
      timer.unref();
      if (subscriber.status === "ready") void resync();
      else if (subscriber.status === "wait") subscriber.connect().catch(report);
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          waiters.delete(done);
          signal?.removeEventListener("abort", abort);
          resolve();
        };
        const abort = () => {
          waiters.delete(done);
          reject(signal?.reason);
        };
        if (signal?.aborted) return abort();
        signal?.addEventListener("abort", abort, { once: true });
        waiters.add(done);
      });
    },
    status(grant) {
      if (revoked.ended(grant)) return "ended";
      return clock.now() - currentAsOf <= staleMs ? "live" : "stale";
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      subscriber.off("message", onMessage);
      subscriber.off("ready", onReady);
      subscriber.off("close", lost);
      // Nothing is left to flush on a subscription, and QUIT would wait for a connection that may never come back.
      subscriber.disconnect();
      subscriber.off("error", onError);
    },
  };
}
