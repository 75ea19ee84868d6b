import { hash } from "node:crypto";
import { type AuditEvent, type BatchAuditSink, type Clock, systemClock } from "@leash/core";
import { type CheckpointSigner, chainStart, type TrimResult, trimAudit } from "./audit-retention.js";
import type { RedisClient } from "./connection.js";
import type { CrossShardHooks } from "./cross-shard.js";
import { awaitReplicas, type Durability } from "./durable.js";
import { guard } from "./guard.js";
import { keyspace } from "./keys.js";
import { loadScript, type ScriptRunner } from "./scripts.js";

export interface StoredAuditEvent extends AuditEvent {
  id: string;
  ts: number;
  hash: string;
}

/** One-shot SHA-256 (the same digest as a Hash object fed the three parts, at an eighth of the CPU per entry). */
export function chainHash(prev: string, payload: string): string {
  return hash("sha256", `${prev}\n${payload}`, "hex");
}

type VerifyResult = { ok: boolean; checked: number; firstBad?: { id: string; reason: string } };
const TRIMMED_MEANWHILE = "trimmed while being verified";

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Receipts chained per script call: large enough for mass revocation, small enough to keep each call short. */
const OUTBOX_BATCH = 100;

/**
 * Append-only, hash-chained audit trail in a Redis stream: each entry carries the hash of the previous one, so an
 * edited or deleted entry breaks verification from that point. Appends from one process are batched per tick.
 * Receipts of ended leases are written by the Lua transitions themselves into an outbox (Lua cannot hash); `drain`
 * moves them into the chain, each exactly once.
 */
export class RedisAuditLog implements BatchAuditSink {
  private queue: (Waiting & { payload: string })[] = [];
  private draining: Waiting[] = [];
  private wantOutbox = false;
  private flushing: Promise<void> | undefined;
  private head: string | undefined;
  readonly stream: string;
  /** The signed checkpoint left by the last trim. */
  readonly checkpoint: string;
  private readonly headKey: string;
  private readonly outboxKey: string;
  private readonly appendScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    /** With replicas, an append resolves only once they hold it (WAIT), like the store's acknowledged writes. */
    private readonly options: {
      durability?: Durability;
      clock?: Clock;
      /** Told of the receipts just chained from the outbox (each exactly once, by the process that chained it). */
      onReceipts?: CrossShardHooks["receiptsChained"];
    } = {},
  ) {
    const keys = keyspace(prefix);
    this.stream = keys.audit;
    this.checkpoint = keys.auditCheckpoint;
    this.headKey = keys.auditHead;
    this.outboxKey = keys.auditOutbox;
    this.appendScript = loadScript(redis, "auditAppend");
  }

  append(event: AuditEvent): Promise<void> {
    const payload = this.payload(event);
    return new Promise((resolve, reject) => {
      this.queue.push({ payload, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Queues the events together, in order, behind one promise: the flush chains them in batches of its own size,
   * so a caller with thousands of events per second holds one promise per batch rather than one per event.
   */
  appendMany(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let left = events.length;
      let failed = false;
      const done = () => {
        if (--left === 0 && !failed) resolve();
      };
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      for (const event of events)
        this.queue.push({ payload: this.payload(event), resolve: done, reject: fail });
      this.schedule();
    });
  }

  private payload(event: AuditEvent): string {
    return JSON.stringify({ ts: (this.options.clock ?? systemClock).now(), ...event });
  }

  /**
   * Chains every receipt waiting in the outbox (with whatever this process has queued); resolves once they are in
   * the log. Calls made meanwhile share one pass.
   */
  drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.draining.push({ resolve, reject });
      this.wantOutbox = true;
      this.schedule();
    });
  }

  /** Receipts waiting to be chained. */
  pending(): Promise<number> {
    return guard("read audit outbox", () => this.redis.llen(this.outboxKey));
  }

  private schedule(): void {
    if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0 || this.wantOutbox) {
      const batch = this.queue.splice(0, 200);
      const pull = this.wantOutbox;
      const waiting = pull ? this.draining.splice(0) : [];
      this.wantOutbox = false;
      try {
        const more = await guard("append audit", () =>
          this.write(
            batch.map((w) => w.payload),
            pull,
          ),
        );
        for (const w of batch) w.resolve();
        if (more) {
          // The outbox held a full batch: go round again before telling the drainers it is empty.
          this.draining.unshift(...waiting);
          this.wantOutbox = true;
        } else for (const w of waiting) w.resolve();
      } catch (error) {
        for (const w of [...batch, ...waiting]) w.reject(error);
      }
    }
    this.flushing = undefined;
  }

  /** Appends `payloads` (after the head of the outbox when `pull`); true when the outbox may hold more. */
  private async write(payloads: string[], pull: boolean): Promise<boolean> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const [head, outbox] = await Promise.all([
        this.head ?? this.redis.get(this.headKey).then((h) => h || ""),
        pull ? this.redis.lrange(this.outboxKey, 0, OUTBOX_BATCH - 1) : [],
      ]);
      if (outbox.length + payloads.length === 0) return false;
      const args: string[] = [head, String(outbox.length)];
      let prev = head;
      for (const payload of [...outbox, ...payloads]) {
        prev = chainHash(prev, payload);
        args.push(payload, prev);
      }
      const [ok, current] = (await this.appendScript([this.stream, this.headKey, this.outboxKey], args)) as [
        number,
        string,
      ];
      this.head = current;
      if (ok === 1) {
        await awaitReplicas(this.redis, this.options.durability, this.headKey);
        if (outbox.length > 0) await this.tell(outbox);
        return outbox.length === OUTBOX_BATCH;
      }
    }
    throw new Error("audit chain head kept moving");
  }

  /** The receipts are in the chain whatever the listener makes of them: what it does must be recoverable. */
  private async tell(receipts: readonly string[]): Promise<void> {
    try {
      await this.options.onReceipts?.(receipts);
    } catch {
      // Recovered by the listener's own means (sharded/pools.ts: a full pool re-reads what it holds).
    }
  }

  async read(since: string, limit: number): Promise<StoredAuditEvent[]> {
    const entries = await this.redis.xrange(
      this.stream,
      since === "-" ? "-" : `(${since}`,
      "+",
      "COUNT",
      limit,
    );
    return entries.map(decodeEntry);
  }

  /** The latest events, newest first (one XREVRANGE: reading forward to the end would scan the whole log). */
  async tail(limit: number): Promise<StoredAuditEvent[]> {
    return (await this.redis.xrevrange(this.stream, "+", "-", "COUNT", limit)).map(decodeEntry);
  }

  /**
   * Walks the whole chain from its start, or from the signed checkpoint left by the last trim; reports the first
   * entry whose link or hash does not match.
   */
  async verify(signer?: CheckpointSigner): Promise<VerifyResult> {
    // A trim that lands while we read moves the checkpoint on: start over from the new one.
    for (let attempt = 0; ; attempt++) {
      const result = await this.verifyOnce(signer);
      if (attempt === 2 || result.firstBad?.reason !== TRIMMED_MEANWHILE) return result;
    }
  }

  private async verifyOnce(signer?: CheckpointSigner): Promise<VerifyResult> {
    const start = await chainStart(this.redis, this, signer);
    if ("error" in start)
      return { ok: false, checked: 0, firstBad: { id: "checkpoint", reason: start.error } };
    let prev = start.prev;
    let checked = 0;
    let cursor = "-";
    // The head is read before the scan, which stops at the entry it names: appends made meanwhile (other processes
    // keep writing) are left to the next verification. A head no entry reaches means entries removed from the end.
    const head = (await this.redis.get(this.headKey)) ?? "";
    if (head === prev) return { ok: true, checked };
    for (;;) {
      const entries = await this.redis.xrange(
        this.stream,
        cursor === "-" ? "-" : `(${cursor}`,
        "+",
        "COUNT",
        1000,
      );
      for (const [id, fields] of entries) {
        if (checked === 0 && start.firstId !== null && id !== start.firstId) {
          const moved = (await this.redis.get(this.checkpoint)) !== start.token;
          const reason = moved
            ? TRIMMED_MEANWHILE
            : `the log no longer starts where its trim checkpoint says (${start.firstId})`;
          return { ok: false, checked, firstBad: { id, reason } };
        }
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i] ?? ""] = fields[i + 1] ?? "";
        const expected = chainHash(prev, f.e ?? "");
        if (expected !== f.h) {
          const reason = "hash chain broken: this entry, or one removed just before it, was altered";
          return { ok: false, checked, firstBad: { id, reason } };
        }
        prev = expected;
        checked++;
        cursor = id;
        if (prev === head) return { ok: true, checked };
      }
      if (entries.length < 1000) break;
    }
    return { ok: false, checked, firstBad: { id: cursor, reason: "entries missing after this one" } };
  }

  /** Drops events older than `before` (ms) behind a signed checkpoint; see `trimAudit`. */
  trim(signer: CheckpointSigner, before: number): Promise<TrimResult> {
    return trimAudit(this.redis, this, signer, before, (this.options.clock ?? systemClock).now());
  }
}

function decodeEntry([id, fields]: [string, string[]]): StoredAuditEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i] ?? ""] = fields[i + 1] ?? "";
  const event = JSON.parse(f.e ?? "{}") as AuditEvent & { ts: number };
  return { ...event, id, hash: f.h ?? "" };
}
