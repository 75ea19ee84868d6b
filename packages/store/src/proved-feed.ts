import { randomUUID } from "node:crypto";
import type { Clock } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { pingMessage } from "./gateway-revocations.js";
import { loadScript } from "./scripts.js";

export interface ProvedFeedDeps {
  /** Commands: the load, and publishing pings. Shared; left open by `close`. */
  redis: RedisClient;
  /** A connection of the feed's own for the subscription. */
  subscriber: RedisClient;
  /** The channel the writes are announced on. */
  channel: string;
  /** A key on the node that publishes the announcements, so the pings come from that node too. */
  node: string;
  /**
   * Reads what was recorded before the subscription; resolves a commit that applies it, run only if no newer
   * subscription began meanwhile.
   */
  load(): Promise<() => void>;
  /** Every message on the channel but this feed's own pings. */
  onMessage(text: string): void;
  /** Runs at every ping interval (pruning). */
  onTick?(): void;
  /** Runs whenever a ping of the current, loaded subscription comes back. */
  onCurrent?(): void;
}

export interface ProvedFeedOptions {
  /** The feed counts as current while its last ping came back within this. */
  staleMs: number;
  clock: Clock;
  /** Redis errors the feed recovers from by itself (reconnecting, loading again), for logs. */
  onError?: (error: Error) => void;
}

export interface ProvedFeed {
  /** Subscribes and loads in the background (again after every reconnection). */
  start(): void;
  /** Whether a ping of the current, loaded subscription sent within `staleMs` has come back (closing aside). */
  current(): boolean;
  /** Stops pinging and closes the subscriber connection. */
  close(): void;
}

function pingOf(text: string): { view: string; session: number; at: number } | null {
  try {
    const m = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (
      m.t === "ping" &&
      typeof m.view === "string" &&
      typeof m.session === "number" &&
      typeof m.at === "number"
    )
      return { view: m.view, session: m.session, at: m.at };
  } catch {}
  return null;
}

/**
 * A subscription that proves itself current, for the in-memory views (the gateway's live leases, the API's
 * suspensions). Every `staleMs / 4` it publishes a ping on its channel from the node that publishes the writes
 * (`gateway_ping.lua`). A subscriber receives what one node publishes in the order it was published, so once a ping
 * sent at `t` comes back, every write announced before `t` has been received; the feed counts as current while
 * that `t` is within `staleMs` of now. A subscription that drops starts a new session: pings of an earlier one do
 * not count, and what was recorded is loaded again after subscribing, since messages published meanwhile were lost.
 */
export function createProvedFeed(deps: ProvedFeedDeps, opts: ProvedFeedOptions): ProvedFeed {
  const { redis, subscriber } = deps;
  const { clock, staleMs } = opts;
  const id = randomUUID();
  const publishPing = loadScript(redis, "gatewayPing");
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

  function ping(): void {
    if (closed || loaded !== session) return;
    publishPing([deps.node], [deps.channel, pingMessage(id, session, clock.now())]).catch(report);
  }

  function onMessage(channel: string, text: string): void {
    if (channel !== deps.channel) return;
    const ping = pingOf(text);
    if (!ping) {
      deps.onMessage(text);
      return;
    }
    if (ping.view !== id || ping.session !== session || loaded !== session) return;
    currentAsOf = Math.max(currentAsOf, ping.at);
    deps.onCurrent?.();
  }

  function lost(): void {
    session += 1;
    currentAsOf = Number.NEGATIVE_INFINITY;
  }

  /** Subscribe, then load what was recorded, retrying the load until it works or the session ends. */
  async function resync(): Promise<void> {
    const mine = ++session;
    currentAsOf = Number.NEGATIVE_INFINITY;
    try {
      await subscriber.subscribe(deps.channel);
    } catch (error) {
      return report(error);
    }
    while (!closed && session === mine) {
      try {
        const commit = await deps.load();
        if (session !== mine) return;
        commit();
        loaded = mine;
        return ping();
      } catch (error) {
        report(error);
        await new Promise((r) => setTimeout(r, Math.min(staleMs, 1_000)));
      }
    }
  }

  function tick(): void {
    deps.onTick?.();
    ping();
  }

  const onReady = () => void resync();
  const onError = (error: Error) => report(error);

  return {
    start() {
      subscriber.on("message", onMessage);
      subscriber.on("ready", onReady);
      subscriber.on("close", lost);
      subscriber.on("error", onError);
      timer = setInterval(tick, Math.max(1, Math.floor(staleMs / 4)));
      timer.unref();
      if (subscriber.status === "ready") void resync();
      else if (subscriber.status === "wait") subscriber.connect().catch(report);
    },
    current: () => loaded === session && clock.now() - currentAsOf <= staleMs,
    close() {
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
