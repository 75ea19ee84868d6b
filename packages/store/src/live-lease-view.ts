import { type Clock, type GatewayGrantRef, type GatewayRevocation, GatewayRevocationSet } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { feedMessage, readRevocations } from "./gateway-revocations.js";
import { keyspace } from "./keys.js";
import { createProvedFeed } from "./proved-feed.js";

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

/** Freshness is `createProvedFeed`'s: the view is current while a ping it sent within `staleMs` has come back. */
export function createLiveLeaseView(deps: LiveLeaseViewDeps, opts: LiveLeaseViewOptions): LiveLeaseView {
  const { redis } = deps;
  const keys = keyspace(deps.prefix);
  const { clock } = opts;
  const revoked = new GatewayRevocationSet();
  const listeners = new Set<(entry: GatewayRevocation) => void>();
  const waiters = new Set<() => void>();

  function apply(entries: readonly GatewayRevocation[]): void {
    for (const entry of entries) {
      if (!revoked.add(entry)) continue;
      for (const listener of listeners) listener(entry);
    }
  }

  const feed = createProvedFeed(
    {
      redis,
      subscriber: deps.subscriber,
      channel: keys.gatewayChannel,
      node: keys.gatewayRevocations,
      // Applied at once, whatever the session: a revocation learnt is never wrong to know.
      load: async () => {
        apply(await readRevocations(redis, keys, clock.now()));
        return () => undefined;
      },
      onMessage(text) {
        const message = feedMessage(text);
        if (message?.t === "rev") apply(message.entries);
      },
      onTick: () => revoked.prune(clock.now()),
      onCurrent() {
        for (const wake of waiters) wake();
      },
    },
    opts,
  );

  return {
    async start(signal) {
      feed.start();
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
      return feed.current() ? "live" : "stale";
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      feed.close();
    },
  };
}
