import type { AuditEvent, BatchAuditSink, Clock } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import { loadScript, type ScriptRunner } from "./scripts.js";

/** What went through the gateways for one lease, or for one agent and upstream over some days. */
export interface GatewayTraffic {
  requests: number;
  /** Relayed to the upstream, whatever it answered. */
  relayed: number;
  /** Refused by the gateway itself (outside the intent, lease ended, ...). */
  refused: number;
  /** Cut or failed after the head (revocation mid-stream, the agent leaving, ...). */
  cut: number;
  bytesIn: number;
  bytesOut: number;
  /** The gateway's time for all of them together (ms). */
  durationMs: number;
  /** Relayed requests by the upstream's status class (`2xx`, `4xx`, ...). */
  byStatus: Record<string, number>;
  /** Refused and cut requests by reason (`lease_not_live`, `outside_intent`, ...). */
  byReason: Record<string, number>;
  /** Epoch ms of the first and the last request counted. */
  first: number;
  last: number;
}

export interface AgentGatewayTraffic extends GatewayTraffic {
  upstream: string;
}

export interface TrafficCountingOptions {
  /** Counters are dropped this long after their last request (the lease retention, so they outlive the lease). */
  retentionMs: number;
  /** Counting failed after the events were audited: they are not counted (the audit log still holds them). */
  onError?: (error: unknown) => void;
}

const DAY_MS = 86_400_000;
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const OUTCOME_FIELD: Readonly<Record<AuditEvent["outcome"], "relayed" | "refused" | "cut">> = {
  ok: "relayed",
  denied: "refused",
  failed: "cut",
  warning: "cut",
};

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.max(0, v) : 0);

const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * What a batch adds to one hash under one field prefix (a lease's hash has none; an agent-day's hash has one per
 * upstream), summed before any field name is built: a batch is mostly the same few leases over and over.
 */
class Totals {
  private readonly sums = { requests: 0, relayed: 0, refused: 0, cut: 0, bytes_in: 0, bytes_out: 0, us: 0 };
  private readonly statuses = [0, 0, 0, 0, 0];
  private readonly reasons = new Map<string, number>();

  constructor(readonly prefix: string) {}

  add(e: AuditEvent): void {
    const d = e.detail ?? {};
    const s = this.sums;
    s.requests++;
    s[OUTCOME_FIELD[e.outcome]]++;
    s.bytes_in += Math.round(num(d.bytes_in));
    s.bytes_out += Math.round(num(d.bytes_out));
    s.us += Math.round(num(d.duration_ms) * 1000);
    if (e.outcome === "ok") {
      const c = Math.floor(num(d.status) / 100) - 1;
      if (c >= 0 && c < 5) this.statuses[c] = (this.statuses[c] ?? 0) + 1;
    } else if (typeof d.reason === "string") {
      this.reasons.set(d.reason, (this.reasons.get(d.reason) ?? 0) + 1);
    }
  }

  /** Appends `field, increment` pairs to a script's arguments; returns how many. */
  pushPairs(args: (string | number)[]): number {
    const before = args.length;
    const field = (name: string, by: number) => args.push(`${this.prefix}${name}`, by);
    for (const [name, by] of Object.entries(this.sums)) if (by !== 0) field(name, by);
    this.statuses.forEach((by, i) => {
      if (by !== 0) field(`s:${STATUS_CLASSES[i]}`, by);
    });
    for (const [name, by] of this.reasons) if (NAME.test(name)) field(`r:${name}`, by);
    return (args.length - before) / 2;
  }
}

/** One hash's totals: a lease's (one prefix) or an agent-day's (a prefix per upstream). */
class Hash {
  readonly byPrefix = new Map<string, Totals>();

  constructor(readonly key: string) {}

  totals(prefix: string): Totals {
    let t = this.byPrefix.get(prefix);
    if (!t) {
      t = new Totals(prefix);
      this.byPrefix.set(prefix, t);
    }
    return t;
  }
}

/** Figures from a hash's fields that start with `prefix`. */
function figuresOf(hash: Record<string, string>, prefix = ""): GatewayTraffic {
  const get = (field: string) => Number(hash[`${prefix}${field}`] ?? 0);
  const byStatus: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith(prefix)) continue;
    const name = field.slice(prefix.length);
    if (name.startsWith("s:")) byStatus[name.slice(2)] = Number(value);
    else if (name.startsWith("r:")) byReason[name.slice(2)] = Number(value);
  }
  return {
    requests: get("requests"),
    relayed: get("relayed"),
    refused: get("refused"),
    cut: get("cut"),
    bytesIn: get("bytes_in"),
    bytesOut: get("bytes_out"),
    durationMs: get("us") / 1000,
    byStatus,
    byReason,
    first: get("first"),
    last: get("last"),
  };
}

function add(into: GatewayTraffic, more: GatewayTraffic): void {
  for (const k of ["requests", "relayed", "refused", "cut", "bytesIn", "bytesOut", "durationMs"] as const)
    into[k] += more[k];
  for (const [k, v] of Object.entries(more.byStatus)) into.byStatus[k] = (into.byStatus[k] ?? 0) + v;
  for (const [k, v] of Object.entries(more.byReason)) into.byReason[k] = (into.byReason[k] ?? 0) + v;
  // 0 is "never": the earliest of the instants that were set.
  into.first = Math.min(into.first || more.first, more.first || into.first);
  into.last = Math.max(into.last, more.last);
}

/**
 * Traffic counters for the console, kept beside the audit log rather than read back out of it (a lease's requests
 * are scattered through the whole stream): a hash per lease, and one per agent and UTC day with fields per upstream.
 * Each batch of `gateway.request` events becomes one pipeline of increments after the batch is audited. Bounded:
 * a counter hash expires `retentionMs` after its last request.
 */
export class RedisGatewayTraffic {
  private readonly script: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly clock: Clock,
  ) {
    this.script = loadScript(redis, "gatewayTraffic");
  }

  /** Adds the `gateway.request` events among `events` to the counters, in one script call. */
  async record(events: readonly AuditEvent[], retentionMs: number): Promise<void> {
    const now = this.clock.now();
    const day = Math.floor(now / DAY_MS);
    const leases = new Map<string, Totals>();
    // Agent -> its hash for the day (its key hashes the agent's name: once per batch) and its totals by upstream.
    const agents = new Map<string, { hash: Hash; upstreams: Map<string, Totals> }>();
    const hashes: Hash[] = [];
    const hashOf = (key: string) => {
      const h = new Hash(key);
      hashes.push(h);
      return h;
    };
    for (const e of events) {
      const upstream = e.detail?.upstream;
      if (e.type !== "gateway.request" || !e.leaseId || !e.agent || typeof upstream !== "string") continue;
      let agent = agents.get(e.agent);
      if (!agent) {
        agent = { hash: hashOf(this.keys.gatewayTrafficAgent(e.agent, day)), upstreams: new Map() };
        agents.set(e.agent, agent);
      }
      let perUpstream = agent.upstreams.get(upstream);
      if (!perUpstream) {
        if (!NAME.test(upstream)) continue;
        perUpstream = agent.hash.totals(`${upstream}|`);
        agent.upstreams.set(upstream, perUpstream);
      }
      perUpstream.add(e);
      let lease = leases.get(e.leaseId);
      if (!lease) {
        lease = hashOf(this.keys.gatewayTrafficLease(e.leaseId)).totals("");
        leases.set(e.leaseId, lease);
      }
      lease.add(e);
    }
    const used = hashes.filter((h) => h.byPrefix.size > 0);
    if (used.length === 0) return;
    const args: (string | number)[] = [now, retentionMs];
    for (const h of used) {
      const at = args.push(0) - 1;
      let pairs = 0;
      for (const t of h.byPrefix.values()) pairs += t.pushPairs(args);
      args[at] = pairs;
      args.push(h.byPrefix.size, ...h.byPrefix.keys());
    }
    await guard("count gateway traffic", () =>
      this.script(
        used.map((h) => h.key),
        args,
      ),
    );
  }

  /** A lease's traffic, or null when none was counted (or it was dropped with retention). */
  async lease(leaseId: string): Promise<GatewayTraffic | null> {
    const hash = await guard("read gateway traffic", () =>
      this.redis.hgetall(this.keys.gatewayTrafficLease(leaseId)),
    );
    return Object.keys(hash).length === 0 ? null : figuresOf(hash);
  }

  /** An agent's traffic by upstream over the last `days` UTC days (today included), busiest upstream first. */
  async agent(agent: string, days: number): Promise<AgentGatewayTraffic[]> {
    const today = Math.floor(this.clock.now() / DAY_MS);
    const pipeline = this.redis.pipeline();
    for (let d = 0; d < days; d++) pipeline.hgetall(this.keys.gatewayTrafficAgent(agent, today - d));
    const replies = await guard("read gateway traffic", async () => (await pipeline.exec()) ?? []);
    const byUpstream = new Map<string, AgentGatewayTraffic>();
    for (const [error, hash] of replies) {
      if (error) throw error;
      const fields = hash as Record<string, string>;
      const names = new Set(
        Object.keys(fields).flatMap((f) => (f.includes("|") ? [f.slice(0, f.indexOf("|"))] : [])),
      );
      for (const upstream of names) {
        const figures = figuresOf(fields, `${upstream}|`);
        const seen = byUpstream.get(upstream);
        if (seen) add(seen, figures);
        else byUpstream.set(upstream, { upstream, ...figures });
      }
    }
    return [...byUpstream.values()].sort(
      (a, b) => b.requests - a.requests || a.upstream.localeCompare(b.upstream),
    );
  }

  /**
   * `sink` that also counts what it audited: the gateway hands its batches to this. A batch is counted only once
   * the audit log holds it, and a counting failure never fails the append (the batch would be audited twice).
   */
  counting(sink: BatchAuditSink, options: TrafficCountingOptions): BatchAuditSink {
    const count = (events: readonly AuditEvent[]) =>
      this.record(events, options.retentionMs).catch((error: unknown) => options.onError?.(error));
    return {
      append: async (event) => {
        await sink.append(event);
        await count([event]);
      },
      appendMany: async (events) => {
        await sink.appendMany(events);
        await count(events);
      },
    };
  }
}
