import { randomUUID } from "node:crypto";
import {
  type Clock,
  inForce,
  type Suspension,
  type SuspensionCheck,
  type SuspensionStore,
} from "@leash/core";
import type { RedisClient } from "./connection.js";
import { keyspace } from "./keys.js";
import { loadScript } from "./scripts.js";
import { parseSuspension } from "./suspension-store.js";

/**
 * An API process's in-memory copy of the suspensions, so its door (every authenticated request) does not read Redis
 * per request. It answers from memory only while it can prove itself current, and reads Redis otherwise.
 */
export interface SuspensionView extends SuspensionCheck {
  /** Subscribes and loads in the background; until that is done (and whenever it is not current) it reads Redis. */
  start(): void;
  /**
   * The agent's record changed: from this call on the view reads Redis for it until it has read the record again.
   * The process that records or lifts a suspension calls this before it answers, so its own door holds from the
   * acknowledgement on, whatever the feed does.
   */
  changed(agent: string): void;
  /** Whether answers come from memory now (subscribed, loaded, and a ping came back within `staleMs`). */
  current(): boolean;
  /** Stops pinging and closes the subscriber connection (the command connection is the caller's). */
  close(): void;
}

export interface SuspensionViewDeps {
  /** Commands: loading the suspensions, re-reading one, publishing pings. Shared; left open by `close`. */
  redis: RedisClient;
  /** A connection of the view's own for the subscription. */
  subscriber: RedisClient;
  /** Shard 0's prefix (LEASH_REDIS_PREFIX): every suspension and every lift is written there, and announced. */
  prefix: string;
  /** The read the door did before: used whenever the view cannot answer (the store's `firstSuspended`). */
  fallback: SuspensionCheck;
}

export interface SuspensionViewOptions {
  /** The view answers from memory while its last ping came back within this. */
  staleMs: number;
  clock: Clock;
  /** Redis errors the view recovers from by itself (by reading Redis meanwhile), for logs. */
  onError?: (error: Error) => void;
}

type Message = { t: "s"; agent: string } | { t: "ping"; view: string; session: number; at: number };

function messageOf(text: string): Message | null {
  try {
    const m = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (m.t === "s" && typeof m.agent === "string") return { t: "s", agent: m.agent };
    if (
      m.t === "ping" &&
      typeof m.view === "string" &&
      typeof m.session === "number" &&
      typeof m.at === "number"
    )
      return { t: "ping", view: m.view, session: m.session, at: m.at };
  } catch {}
  return null;
}

/**
 * Every write of the suspensions (suspension-store.ts: `record`, suspend_agent.lua, lift_suspension.lua) publishes
 * the agent's name in the same step. On that message the view marks the agent unknown and reads its record again;
 * while it is unknown, a request naming it reads Redis. Freshness is proved as the gateway's live lease view proves
 * it: every `staleMs / 4` a ping is published from the node that holds the suspensions, and a subscriber receives
 * one node's messages in order, so once a ping sent at `t` comes back, every write before `t` has been announced to
 * the view. The view answers from memory only while such a `t` is within `staleMs` of now, and only for agents it
 * has no unread announcement of; a subscription that drops starts a new session (pings of an earlier one do not
 * count) and loads everything again. So a request that reaches the view more than `staleMs` after a suspension was
 * recorded is refused, and earlier ones are refused too once the announcement has arrived.
 */
export function createSuspensionView(deps: SuspensionViewDeps, opts: SuspensionViewOptions): SuspensionView {
  const { redis, subscriber, fallback } = deps;
  const keys = keyspace(deps.prefix);
  const { clock, staleMs } = opts;
  const id = randomUUID();
  const publishPing = loadScript(redis, "gatewayPing");
  let known = new Map<string, Suspension>();
  /** Agents announced and not yet read again, with the number of the newest read asked for. */
  const unread = new Map<string, number>();
  let reads = 0;
  let session = 0;
  let loaded = -1;
  let currentAsOf = Number.NEGATIVE_INFINITY;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const report = (error: unknown) => {
    if (!closed) opts.onError?.(error instanceof Error ? error : new Error(String(error)));
  };

  /** Reads the agent's record; only the newest read asked for applies, so an older answer never wins. */
  async function reread(agent: string): Promise<void> {
    const mine = ++reads;
    unread.set(agent, mine);
    for (let wait = 50; !closed && unread.get(agent) === mine; wait = Math.min(wait * 2, 1_000)) {
      try {
        const found = parseSuspension(await redis.hget(keys.suspensions, agent));
        if (unread.get(agent) !== mine) return;
        if (found) known.set(agent, found);
        else known.delete(agent);
        unread.delete(agent);
      } catch (error) {
        // Left unread: the door reads Redis for this agent until a read works.
        report(error);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  function ping(): void {
    if (closed || loaded !== session) return;
    const message = JSON.stringify({ t: "ping", view: id, session, at: clock.now() });
    publishPing([keys.suspensions], [keys.suspensionsChannel, message]).catch(report);
  }

  function onMessage(channel: string, text: string): void {
    if (channel !== keys.suspensionsChannel) return;
    const message = messageOf(text);
    if (message?.t === "s") void reread(message.agent);
    if (message?.t !== "ping" || message.view !== id) return;
    if (message.session !== session || loaded !== session) return;
    currentAsOf = Math.max(currentAsOf, message.at);
  }

  function lost(): void {
    session += 1;
    currentAsOf = Number.NEGATIVE_INFINITY;
  }

  /** Subscribe, then load everything recorded, retrying the load until it works or the session ends. */
  async function resync(): Promise<void> {
    const mine = ++session;
    currentAsOf = Number.NEGATIVE_INFINITY;
    try {
      await subscriber.subscribe(keys.suspensionsChannel);
    } catch (error) {
      return report(error);
    }
    while (!closed && session === mine) {
      try {
        const all = await redis.hgetall(keys.suspensions);
        if (session !== mine) return;
        const next = new Map<string, Suspension>();
        for (const [agent, raw] of Object.entries(all)) {
          const s = parseSuspension(raw);
          if (s) next.set(agent, s);
        }
        // An agent announced meanwhile stays unread: its own read, asked for after this load, decides it.
        for (const agent of unread.keys()) {
          const s = known.get(agent);
          if (s) next.set(agent, s);
          else next.delete(agent);
        }
        known = next;
        loaded = mine;
        return ping();
      } catch (error) {
        report(error);
        await new Promise((r) => setTimeout(r, Math.min(staleMs, 1_000)));
      }
    }
  }

  const current = () => !closed && loaded === session && clock.now() - currentAsOf <= staleMs;
  const onReady = () => void resync();
  const onError = (error: Error) => report(error);

  return {
    start() {
      subscriber.on("message", onMessage);
      subscriber.on("ready", onReady);
      subscriber.on("close", lost);
      subscriber.on("error", onError);
      timer = setInterval(ping, Math.max(1, Math.floor(staleMs / 4)));
      timer.unref();
      if (subscriber.status === "ready") void resync();
      else if (subscriber.status === "wait") subscriber.connect().catch(report);
    },
    async firstSuspended(agents, now) {
      if (agents.length === 0) return null;
      if (!current() || agents.some((a) => unread.has(a))) return fallback.firstSuspended(agents, now);
      for (const agent of agents) {
        const s = known.get(agent) ?? null;
        if (inForce(s, now)) return s;
      }
      return null;
    },
    changed(agent) {
      void reread(agent);
    },
    current,
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

/**
 * The store's suspensions, telling `view` of each suspension and lift made through them as soon as the store has
 * it: the process that acknowledges one refuses the identity at its own door from then on, before any message.
 * Reads go to the store as before (issuance's re-read after its write-ahead among them).
 */
export function tellingView(store: SuspensionStore, view: Pick<SuspensionView, "changed">): SuspensionStore {
  return {
    suspend: async (suspension, includeDelegated) => {
      try {
        return await store.suspend(suspension, includeDelegated);
      } finally {
        // Also after a failure: the suspension may be recorded without its revocations.
        view.changed(suspension.agent);
      }
    },
    lift: async (agent, lapsedBy) => {
      try {
        return await store.lift(agent, lapsedBy);
      } finally {
        view.changed(agent);
      }
    },
    get: (agent) => store.get(agent),
    firstSuspended: (agents, now, near) => store.firstSuspended(agents, now, near),
    lapsed: (now, limit) => store.lapsed(now, limit),
  };
}
