import { createHash } from "node:crypto";
import type { AuditEvent } from "@leash/core";
import type { RedisAuditLog, StoredAuditEvent } from "../audit-log.js";
import type { CheckpointSigner, TrimResult } from "../audit-retention.js";
import type { RedisClient } from "../connection.js";
import { guard } from "../guard.js";
import { keyspace } from "../keys.js";
import { loadScript, type ScriptRunner } from "../scripts.js";
import type { Public, Store } from "../store.js";
import type { ShardRouter } from "./router.js";

type VerifyResult = Awaited<ReturnType<RedisAuditLog["verify"]>>;

/** Anchors kept on shard 0 (about a day at one every ten seconds); verification starts at the oldest kept. */
const ANCHORS_KEPT = 10_000;
const ANCHOR_PAGE = 500;
/** How long a shard whose audit append failed is passed over (a Cluster failover takes a few seconds). */
const PASS_OVER_MS = 5_000;

/** One shard's chain head as an anchor records it. */
interface AnchoredHead {
  shard: number;
  id: string;
  hash: string;
}

interface Anchor {
  at: number;
  prev: string;
  heads: AnchoredHead[];
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The audit log over every shard: each shard keeps its own hash chain (its scripts write receipts to it), and an
 * anchor on shard 0, signed, records every chain's head at intervals and links to the anchor before it. Events are
 * spread over the chains a turn of the event loop at a time; reads merge the chains by event id (time).
 */
export class ShardedAuditLog implements Public<RedisAuditLog> {
  readonly stream: string;
  readonly checkpoint: string;
  private readonly anchorScript: ScriptRunner;

  constructor(
    private readonly router: ShardRouter,
    private readonly redis: RedisClient,
  ) {
    this.stream = router.home.audit.stream;
    this.checkpoint = router.home.audit.checkpoint;
    this.anchorScript = loadScript(redis, "anchorAppend");
  }

  /**
   * The shard this turn of the event loop appends to. A chain batches the appends of one turn into one script call,
   * so events go to one shard a turn, and to the next shard the next turn: the chains share the load, and each
   * append still batches as with one shard. A shard whose append failed is passed over for a while, so a primary
   * failing over holds up no request about another shard. (Receipts are the exception: the scripts that end leases
   * write them to their own shard's outbox.)
   */
  private current(): number {
    if (this.turn === undefined) {
      const now = Date.now();
      let next = this.last;
      for (let i = 0; i < this.router.count; i++) {
        next = (next + 1) % this.router.count;
        if ((this.downUntil.get(next) ?? 0) <= now) break;
      }
      this.turn = next;
      this.last = next;
      setImmediate(() => {
        this.turn = undefined;
      });
    }
    return this.turn;
  }

  private turn: number | undefined;
  private last = -1;
  private readonly downUntil = new Map<number, number>();

  /**
   * Appends on this turn's shard, or, when that fails, on the next shards in turn: an event may go to any chain. An
   * append that failed after its script ran (a timeout) can so be appended twice; one refused (the shard down) never.
   */
  private async appendSomewhere(write: (store: Store) => Promise<void>): Promise<void> {
    let failure: unknown;
    for (let attempt = 0; attempt < Math.min(3, this.router.count); attempt++) {
      const shard = this.current();
      try {
        await write(this.router.at(shard));
        return;
      } catch (error) {
        failure = error;
        this.downUntil.set(shard, Date.now() + PASS_OVER_MS);
        if (this.turn === shard) this.turn = undefined;
      }
    }
    throw failure;
  }

  async append(event: AuditEvent): Promise<void> {
    await this.appendSomewhere((s) => s.audit.append(event));
  }

  async appendMany(events: readonly AuditEvent[]): Promise<void> {
    await this.appendSomewhere((s) => s.audit.appendMany(events));
  }

  async drain(): Promise<void> {
    await this.router.all((s) => s.audit.drain());
  }

  async pending(): Promise<number> {
    return (await this.router.all((s) => s.audit.pending())).reduce((a, b) => a + b, 0);
  }

  /**
   * Oldest first after `since`. Two shards can give the same id to events in the same millisecond, so a page never
   * ends between events that share an id: the next page starts after it and would skip the others.
   */
  async read(since: string, limit: number): Promise<StoredAuditEvent[]> {
    const merged = (await this.router.all((s) => s.audit.read(since, limit + 1)))
      .flat()
      .sort((a, b) => compareIds(a.id, b.id));
    const kept = merged.slice(0, limit);
    const last = kept.at(-1);
    if (!last || merged.length <= limit || merged[limit]?.id !== last.id) return kept;
    const whole = kept.filter((e) => e.id !== last.id);
    return whole.length > 0 ? whole : merged.filter((e) => compareIds(e.id, last.id) <= 0);
  }

  async tail(limit: number): Promise<StoredAuditEvent[]> {
    return (await this.router.all((s) => s.audit.tail(limit)))
      .flat()
      .sort((a, b) => compareIds(b.id, a.id))
      .slice(0, limit);
  }

  /** Every shard's chain, then the anchors: each links to the one before, and each head it names is on its chain. */
  async verify(signer?: CheckpointSigner): Promise<VerifyResult> {
    const results = await this.router.all((s) => s.audit.verify(signer));
    const checked = results.reduce((n, r) => n + r.checked, 0);
    const bad = results.findIndex((r) => !r.ok);
    if (bad >= 0) {
      const first = results[bad]?.firstBad;
      return {
        ok: false,
        checked,
        firstBad: { id: first?.id ?? "", reason: `shard ${bad}: ${first?.reason}` },
      };
    }
    const anchors = await this.verifyAnchors(signer);
    return anchors === null ? { ok: true, checked } : { ok: false, checked, firstBad: anchors };
  }

  async trim(signer: CheckpointSigner, before: number): Promise<TrimResult> {
    const results = await this.router.all((s) => s.audit.trim(signer, before));
    const refused = results.find((r) => "refused" in r);
    if (refused) return refused;
    const trimmed = results.reduce((n, r) => n + ("trimmed" in r ? r.trimmed : 0), 0);
    const firstKept = results
      .flatMap((r) => ("firstKept" in r && r.firstKept ? [r.firstKept] : []))
      .sort()[0];
    return firstKept ? { trimmed, firstKept } : { trimmed: 0, firstKept: null, resigned: false };
  }

  /**
   * Records every shard's chain head in a signed anchor on shard 0. Returns false when another worker's anchor
   * came first (that one serves as well).
   */
  async anchor(signer: CheckpointSigner, at: number): Promise<boolean> {
    const keys = keyspace(this.router.home.prefix);
    return await guard("anchor audit chains", async () => {
      const heads = await this.router.all(async (s, shard): Promise<AnchoredHead> => {
        const [last] = await s.audit.tail(1);
        return { shard, id: last?.id ?? "", hash: last?.hash ?? "" };
      });
      const prev = (await this.redis.get(keys.auditAnchorHead)) ?? "";
      const body = JSON.stringify({ at, prev, heads } satisfies Anchor);
      const hash = digest(body);
      const signature = await signer.sign({ first_id: "anchor", prev_hash: hash, at });
      const reply = await this.anchorScript(
        [keys.auditAnchors, keys.auditAnchorHead],
        [prev, hash, body, signature, ANCHORS_KEPT],
      );
      return reply === 1;
    });
  }

  private async verifyAnchors(signer?: CheckpointSigner): Promise<{ id: string; reason: string } | null> {
    const keys = keyspace(this.router.home.prefix);
    let prev: string | null = null;
    let last: { id: string; anchor: Anchor } | undefined;
    for await (const [id, flat] of this.anchorRows(keys.auditAnchors)) {
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) f[flat[i] ?? ""] = flat[i + 1] ?? "";
      const body = f.a ?? "";
      const anchor = JSON.parse(body || "{}") as Anchor;
      if (digest(body) !== f.h) return { id, reason: "anchor altered" };
      if (prev !== null && anchor.prev !== prev) return { id, reason: "anchor chain broken" };
      if (signer && (await signer.verify(f.s ?? ""))?.prev_hash !== f.h)
        return { id, reason: "anchor signature does not verify" };
      prev = f.h ?? "";
      last = { id, anchor };
    }
    // The newest anchor's heads are the latest: events cut off any chain since an earlier anchor are cut off since
    // this one too.
    for (const head of last?.anchor.heads ?? []) {
      const problem = await this.headProblem(head);
      if (problem) return { id: last?.id ?? "", reason: `anchor: shard ${head.shard}: ${problem}` };
    }
    return null;
  }

  /** Every anchor, oldest first, a page at a time. */
  private async *anchorRows(stream: string): AsyncGenerator<[string, string[]]> {
    let from = "-";
    for (;;) {
      const page = await this.redis.xrange(stream, from, "+", "COUNT", ANCHOR_PAGE);
      yield* page;
      const lastId = page.at(-1)?.[0];
      if (page.length < ANCHOR_PAGE || lastId === undefined) return;
      from = `(${lastId}`;
    }
  }

  /** Whether the anchored head is still on its shard's chain, or was trimmed off behind its checkpoint. */
  private async headProblem(head: AnchoredHead): Promise<string | null> {
    if (head.id === "") return null;
    const store = this.router.shards[head.shard];
    if (!store) return "shard missing";
    const [entry] = await this.redis.xrange(store.audit.stream, head.id, head.id);
    if (entry) {
      const fields = entry[1];
      const hash = fields[fields.indexOf("h") + 1];
      return hash === head.hash ? null : `event ${head.id} altered`;
    }
    const [first] = await store.audit.read("-", 1);
    return first && compareIds(first.id, head.id) > 0 ? null : `event ${head.id} missing from the chain`;
  }
}

/** Stream ids `<ms>-<seq>` in order. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
