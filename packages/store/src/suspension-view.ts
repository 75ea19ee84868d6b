import {
  type Clock,
  inForce,
  type Suspension,
  type SuspensionCheck,
  type SuspensionStore,
} from "@leash/core";
import type { RedisClient } from "./connection.js";
import { keyspace } from "./keys.js";
import { createProvedFeed } from "./proved-feed.js";
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

/**
 * Every write of the suspensions (suspension-store.ts: `record`, suspend_agent.lua, lift_suspension.lua) announces
 * the agent's name in the same step (`{"t":"s","agent"}`). On that message the view marks the agent unknown and
 * reads its record again; while it is unknown, a request naming it reads Redis. Freshness is `createProvedFeed`'s,
 * as for the gateway's live lease view: the view answers from memory only while a ping it sent within `staleMs`
 * has come back, and only for agents it has no unread announcement of; a subscription that drops loads everything
 * again. So a request that reaches the view more than `staleMs` after a suspension was recorded is refused, and
 * earlier ones are refused too once the announcement has arrived.
 */
export function createSuspensionView(deps: SuspensionViewDeps, opts: SuspensionViewOptions): SuspensionView {
  const { redis, fallback } = deps;
  const keys = keyspace(deps.prefix);
  let known = new Map<string, Suspension>();
  /** Agents announced and not yet read again, with the number of the newest read asked for. */
  const unread = new Map<string, number>();
  let reads = 0;
  let closed = false;

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

  /** Everything recorded; an agent announced meanwhile stays unread: its own read, asked for after, decides it. */
  async function load(): Promise<() => void> {
    const all = await redis.hgetall(keys.suspensions);
    return () => {
      const next = new Map<string, Suspension>();
      for (const [agent, raw] of Object.entries(all)) {
        const s = parseSuspension(raw);
        if (s) next.set(agent, s);
      }
      for (const agent of unread.keys()) {
        const s = known.get(agent);
        if (s) next.set(agent, s);
        else next.delete(agent);
      }
      known = next;
    };
  }

  const feed = createProvedFeed(
    {
      redis,
      subscriber: deps.subscriber,
      channel: keys.suspensionsChannel,
      node: keys.suspensions,
      load,
      onMessage(text) {
        const agent = announcedAgent(text);
        if (agent !== null) void reread(agent);
      },
    },
    { ...opts, onError: report },
  );
  const current = () => !closed && feed.current();

  return {
    start: () => feed.start(),
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
      feed.close();
    },
  };
}

/** The agent a suspension write announced, or null for any other message. */
function announcedAgent(text: string): string | null {
  try {
    const m = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (m.t === "s" && typeof m.agent === "string") return m.agent;
  } catch {}
  return null;
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
