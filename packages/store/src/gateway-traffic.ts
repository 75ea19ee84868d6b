import type { AuditEvent, BatchAuditSink, Clock } from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";

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

function bump(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

/**
 * What a batch adds to one hash under one field prefix (a lease's hash has none; an agent-day's hash has one per
 * upstream), summed before any field name is built: a batch is mostly the same few leases over and over.
 */
class Totals {
  private readonly sums = { requests: 0, relayed: 0, refused: 0, cut: 0, bytes_in: 0, bytes_out: 0, us: 0 };
  private readonly statuses = new Map<string, number>();
  private readonly reasons = new Map<string, number>();

  constructor(
    readonly key: string,
    readonly prefix: string,
  ) {}

  add(e: AuditEvent): void {
    const d = e.detail ?? {};
    const s = this.sums;
    s.requests++;
    s[OUTCOME_FIELD[e.outcome]]++;
    s.bytes_in += Math.round(num(d.bytes_in));
    s.bytes_out += Math.round(num(d.bytes_out));
    s.us += Math.round(num(d.duration_ms) * 1000);
    const status = num(d.status);
    if (e.outcome === "ok" && status >= 100 && status < 600)
      bump(this.statuses, `${Math.floor(status / 100)}xx`);
    if (e.outcome !== "ok" && typeof d.reason === "string" && NAME.test(d.reason))
      bump(this.reasons, d.reason);
  }

  /** The increments, by field name. */
  *fields(): Generator<[string, number]> {
    for (const [name, by] of Object.entries(this.sums)) if (by !== 0) yield [`${this.prefix}${name}`, by];
    for (const [name, by] of this.statuses) yield [`${this.prefix}s:${name}`, by];
    for (const [name, by] of this.reasons) yield [`${this.prefix}r:${name}`, by];
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
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly clock: Clock,
  ) {}

  /** Adds the `gateway.request` events among `events` to the counters. */
  async record(events: readonly AuditEvent[], retentionMs: number): Promise<void> {
    const now = this.clock.now();
    const day = Math.floor(now / DAY_MS);
    const groups = new Map<string, Totals>();
    const agentKeys = new Map<string, string>();
    const totals = (key: string, prefix: string) => {
      const id = `${key}\n${prefix}`;
      const seen = groups.get(id);
      if (seen) return seen;
      const fresh = new Totals(key, prefix);
      groups.set(id, fresh);
      return fresh;
    };
    for (const e of events) {
      const upstream = e.detail?.upstream;
      if (e.type !== "gateway.request" || !e.leaseId || !e.agent || typeof upstream !== "string") continue;
      if (!NAME.test(upstream)) continue;
      totals(this.keys.gatewayTrafficLease(e.leaseId), "").add(e);
      // The agent's key hashes its name: once per batch.
      let agentKey = agentKeys.get(e.agent);
      if (agentKey === undefined) {
        agentKey = this.keys.gatewayTrafficAgent(e.agent, day);
        agentKeys.set(e.agent, agentKey);
      }
      totals(agentKey, `${upstream}|`).add(e);
    }
    if (groups.size === 0) return;
    const pipeline = this.redis.pipeline();
    const keys = new Set<string>();
    for (const t of groups.values()) {
      for (const [field, by] of t.fields()) pipeline.hincrby(t.key, field, by);
      pipeline.hsetnx(t.key, `${t.prefix}first`, now);
      pipeline.hset(t.key, `${t.prefix}last`, now);
      keys.add(t.key);
    }
    for (const key of keys) pipeline.pexpire(key, retentionMs);
    await guard("count gateway traffic", async () => {
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    });
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
