import {
  type AuditEvent,
  type Denial,
  type DeniedLease,
  type Intent,
  LeaseState,
  type NewReevaluation,
  type PolicySetSnapshot,
  type PolicySetStore,
  ProviderName,
  type RecordedLease,
  type RecordedTask,
  type Reevaluation,
  type ReevaluationPhase,
  type ReevaluationProgress,
  type ReevaluationState,
  type ReevaluationStore,
  type ReevaluationTrigger,
  TaskState,
} from "@leash/core";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { ScriptReply, Scripts } from "./scripts.js";

/** A dry run nobody finished is forgotten after this long. */
const DRY_RUN_TTL_MS = 3_600_000;
/**
 * Leases per script call when ordering denials and when reading records: Redis runs a script to its end before
 * serving anyone else, so each call is kept near a millisecond and issuance gets its turn in between (the bench's
 * `reevaluate` section with BENCH_SLOWLOG=1: calls of 500 blocked Redis 4-16 ms each; of 125 reads or 25 denials,
 * still 1.4 ms at the median).
 */
const DENY_BATCH = 10;
const READ_BATCH = 64;
/** Agents per HSCAN page when counting live leases: one HGETALL of 10,000 held Redis 6-10 ms. */
const SCAN_PAGE = 500;

/** The keys of re-evaluations and policy sets, under the store's prefix (and so in its hash slot). */
function reevaluationKeys(keys: Keyspace) {
  const p = keys.prefix;
  return {
    run: (id: string) => `${p}reeval:${id}`,
    seen: (id: string) => `${p}reeval:${id}:seen`,
    denied: (id: string) => `${p}reeval:${id}:denied`,
    byPolicy: (id: string) => `${p}reeval:${id}:by_policy`,
    sample: (id: string) => `${p}reeval:${id}:sample`,
    /** Runs (not dry runs) by creation time. */
    runs: `${p}reevals`,
    policySet: (id: string) => `${p}policyset:${id}`,
    currentSet: `${p}policyset:current`,
  };
}

const lex = (cursor: string) => (cursor === "" ? "-" : `(${cursor}`);

/** Re-evaluations in Redis: the record, its progress, the denials and the counts, moved by Lua scripts. */
export class RedisReevaluationStore implements ReevaluationStore {
  private readonly k: ReturnType<typeof reevaluationKeys>;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
  ) {
    this.k = reevaluationKeys(keys);
  }

  /**
   * With `part`, this is one shard's part of a run over several (it audits no completion of its own); `shards` on
   * the home shard's part lists the shards that have one.
   */
  create(run: NewReevaluation, part?: { shards?: readonly number[] }): Promise<void> {
    return guard("create re-evaluation", async () => {
      const multi = this.redis.multi();
      const key = this.k.run(run.id);
      multi.hset(key, {
        ...(part ? { part: "1" } : {}),
        ...(part?.shards ? { shards: JSON.stringify(part.shards) } : {}),
        id: run.id,
        trigger: run.trigger,
        dry: run.dryRun ? "1" : "0",
        by: run.requestedBy,
        pset: run.policySet,
        created: run.createdAt,
        state: "running",
        checked: 0,
        denied: 0,
        revoked: 0,
      });
      if (run.dryRun) multi.pexpire(key, DRY_RUN_TTL_MS);
      else multi.zadd(this.k.runs, run.createdAt, run.id);
      await multi.exec();
    });
  }

  get(id: string): Promise<Reevaluation | null> {
    return guard("read re-evaluation", async () => {
      const [h, byPolicy] = await Promise.all([
        this.redis.hgetall(this.k.run(id)),
        this.redis.hgetall(this.k.byPolicy(id)),
      ]);
      return runFromHash(h, byPolicy);
    });
  }

  list(limit: number): Promise<Reevaluation[]> {
    return guard("list re-evaluations", async () => {
      const ids = await this.redis.zrevrange(this.k.runs, 0, limit - 1);
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.k.run(id)).hgetall(this.k.byPolicy(id));
      const replies = (await pipeline.exec()) ?? [];
      const out: Reevaluation[] = [];
      const gone: string[] = [];
      for (const [i, id] of ids.entries()) {
        const h = replies[2 * i]?.[1] as Record<string, string> | undefined;
        const run = runFromHash(h ?? {}, (replies[2 * i + 1]?.[1] as Record<string, string>) ?? {});
        if (run) out.push(run);
        else gone.push(id);
      }
      // Records past their retention have expired: their index entries go with them.
      if (gone.length > 0) await this.redis.zrem(this.k.runs, ...gone);
      return out;
    });
  }

  /** The shards that hold a part of a run in parts, from its home part (null: not in parts). */
  parts(id: string): Promise<number[] | null> {
    return guard("read re-evaluation parts", async () => {
      const shards = await this.redis.hget(this.k.run(id), "shards");
      return shards ? (JSON.parse(shards) as number[]) : null;
    });
  }

  /** Marks the whole run completed on its home part and writes its one `reevaluation.completed`, once. */
  completeWhole(id: string, at: number, event: AuditEvent): Promise<boolean> {
    return guard("complete re-evaluation", async () => {
      const reply = await this.scripts.wholeComplete(
        [this.k.run(id), this.keys.auditOutbox],
        [at, JSON.stringify({ ts: at, ...event })],
      );
      return reply === 1;
    });
  }

  begin(id: string, at: number) {
    return guard("begin re-evaluation", async () => {
      const reply = await this.scripts.reevalBegin([this.k.run(id)], [at]);
      const [phase, cursor, frozenAt] = Array.isArray(reply) ? reply.map(String) : [];
      return { phase: asPhase(phase), cursor: cursor ?? "", frozenAt: Number(frozenAt) };
    });
  }

  next(from: ReevaluationProgress, count: number, frozenAt: number) {
    return guard("read re-evaluation targets", async () => {
      if (from.phase === "pending") return this.byScore(this.keys.pending, from, count, String(frozenAt));
      if (from.phase === "live") return this.byScore(this.keys.deadline, from, count, "+inf");
      const ids = await this.redis.zrangebylex(this.keys.leases, lex(from.cursor), "+", "LIMIT", 0, count);
      return { ids, to: { phase: from.phase, cursor: ids.at(-1) ?? from.cursor } };
    });
  }

  /**
   * A page of a sorted set by score, resumed after the last score read. A page never ends inside a group of equal
   * scores (the rest of the group comes with it), so the cursor can be a score alone.
   */
  private async byScore(key: string, from: ReevaluationProgress, count: number, max: string) {
    const min = from.cursor === "" ? "-inf" : `(${from.cursor}`;
    const flat = await this.redis.zrangebyscore(key, min, max, "WITHSCORES", "LIMIT", 0, count);
    const ids = flat.filter((_, i) => i % 2 === 0);
    const last = flat.at(-1);
    if (last === undefined) return { ids, to: from };
    if (ids.length === count) {
      const group = await this.redis.zrangebyscore(key, last, last);
      const known = new Set(ids);
      for (const id of group) if (!known.has(id)) ids.push(id);
    }
    return { ids, to: { phase: from.phase, cursor: last } };
  }

  leases(ids: readonly string[]): Promise<RecordedLease[]> {
    return guard("read leases", async () => {
      const out: RecordedLease[] = [];
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        const batch = ids.slice(i, i + READ_BATCH);
        const reply = await this.scripts.reevalRead(
          batch.map((id) => this.keys.lease(id)),
          RECORDED,
        );
        const rows = JSON.parse(String(reply)) as (string | false)[][];
        for (const [j, fields] of rows.entries()) {
          const lease = recordedLease(batch[j] ?? "", fields);
          if (lease) out.push(lease);
        }
      }
      return out;
    });
  }

  seen(id: string, leaseIds: readonly string[]): Promise<Set<string>> {
    return guard("read re-evaluation progress", async () => {
      if (leaseIds.length === 0) return new Set();
      const found = await this.redis.smismember(this.k.seen(id), ...leaseIds);
      return new Set(leaseIds.filter((_, i) => found[i] === 1));
    });
  }

  denied(id: string, leaseIds: readonly string[]): Promise<Set<string>> {
    return guard("read re-evaluation denials", async () => {
      if (leaseIds.length === 0) return new Set();
      const found = await this.redis.hmget(this.k.denied(id), ...leaseIds);
      return new Set(leaseIds.filter((_, i) => found[i] !== null));
    });
  }

  deny(
    id: string,
    denials: readonly Denial[],
    order: { actor: string; at: number; dryRun: boolean },
  ): Promise<string[]> {
    return guard("order re-evaluation revocations", async () => {
      const dry = order.dryRun;
      const out: string[] = [];
      const k = this.keys;
      const fixed = [
        this.k.run(id),
        this.k.denied(id),
        this.k.byPolicy(id),
        this.k.sample(id),
        k.deadline,
        k.agentsLive,
        k.providersLive,
        k.counters,
        k.auditOutbox,
        k.leasesEnded,
      ];
      for (let i = 0; i < denials.length; i += DENY_BATCH) {
        const batch = denials.slice(i, i + DENY_BATCH);
        const args = batch.flatMap((d) => [
          d.lease.id,
          JSON.stringify(d.policies),
          d.settle ? "1" : "0",
          dry ? JSON.stringify(sampleOf(d)) : "",
        ]);
        const reply: ScriptReply = await this.scripts.reevalDeny(
          [...fixed, ...batch.map((d) => k.lease(d.lease.id))],
          [order.at, order.actor, dry ? "1" : "0", ...args],
        );
        if (Array.isArray(reply)) out.push(...reply.map(String));
      }
      return out;
    });
  }

  advance(
    id: string,
    from: ReevaluationProgress,
    to: ReevaluationProgress,
    checked: number,
    seen: readonly string[],
  ) {
    return guard("advance re-evaluation", async () => {
      const reply = await this.scripts.reevalAdvance(
        [this.k.run(id), this.k.seen(id)],
        [from.phase, from.cursor, to.phase, to.cursor, checked, ...seen],
      );
      return reply === 1;
    });
  }

  complete(
    id: string,
    at: number,
    outcome: { state: "done" | "failed"; problems?: readonly string[]; supersededBy?: string },
    keepMs: number,
  ) {
    return guard("complete re-evaluation", async () => {
      const reply = await this.scripts.reevalComplete(
        [
          this.k.run(id),
          this.k.seen(id),
          this.k.denied(id),
          this.k.byPolicy(id),
          this.k.sample(id),
          this.keys.auditOutbox,
        ],
        [at, outcome.state, JSON.stringify(outcome.problems ?? []), outcome.supersededBy ?? "", keepMs],
      );
      return reply === 1;
    });
  }

  sample(id: string, count: number): Promise<DeniedLease[]> {
    return guard("read re-evaluation sample", async () =>
      (await this.redis.lrange(this.k.sample(id), 0, count - 1)).map((s) => JSON.parse(s) as DeniedLease),
    );
  }

  liveCounts(): Promise<ReadonlyMap<string, number>> {
    return guard("count live leases", async () => {
      const counts = new Map<string, number>();
      let cursor = "0";
      do {
        const [next, flat] = await this.redis.hscan(this.keys.agentsLive, cursor, "COUNT", SCAN_PAGE);
        for (let i = 0; i + 1 < flat.length; i += 2) counts.set(flat[i] as string, Number(flat[i + 1]));
        cursor = next;
      } while (cursor !== "0");
      return counts;
    });
  }

  tasks(ids: readonly string[]): Promise<RecordedTask[]> {
    return guard("read tasks", async () => {
      const out: RecordedTask[] = [];
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        const reply = await this.scripts.reevalRead(
          ids.slice(i, i + READ_BATCH).map((id) => this.keys.task(id)),
          TASK_FIELDS,
        );
        for (const fields of JSON.parse(String(reply)) as (string | false)[][]) {
          const task = recordedTask(fields);
          if (task) out.push(task);
        }
      }
      return out;
    });
  }
}

function sampleOf({ lease, policies }: Denial): DeniedLease {
  return {
    leaseId: lease.id,
    agent: lease.agent,
    taskId: lease.taskId,
    provider: lease.provider,
    target: lease.target,
    intent: { ...lease.intent },
    policies: [...policies],
  };
}

function asPhase(value: string | undefined): ReevaluationPhase {
  return value === "tail" || value === "live" ? value : "pending";
}

/** The fields of a lease a re-evaluation reads (`recordedLease` reads them in this order). */
const RECORDED: string[] = [
  "state",
  "task",
  "agent",
  "provider",
  "target",
  "intent",
  "issued",
  "expires",
  "bg",
  "rttl",
  "pset",
];
const STATES: ReadonlySet<string> = new Set(LeaseState.options);
const PROVIDERS: ReadonlySet<string> = new Set(ProviderName.options);

/** The fields of a task a re-evaluation reads (`recordedTask` reads them in this order). */
const TASK_FIELDS: string[] = ["id", "agent", "state", "deadline", "depth", "labels", "parent"];
const TASK_STATES: ReadonlySet<string> = new Set(TaskState.options);

function recordedTask(read: (string | false)[]): RecordedTask | null {
  const [id, agent, state, deadline, depth, labels, parent] = read.map((v) => (v === false ? null : v));
  if (!id || !state || !TASK_STATES.has(state)) return null;
  return {
    id,
    agent: agent ?? "",
    state: state as TaskState,
    deadline: Number(deadline),
    depth: Number(depth ?? 0),
    labels: JSON.parse(labels ?? "{}") as Record<string, string>,
    parentId: parent ?? null,
  };
}

/** A lease's recorded request and standing, read without the rest of its record (handle, scope, ...). */
function recordedLease(id: string, read: (string | false)[]): RecordedLease | null {
  const f = read.map((v) => (v === false ? null : v));
  const [state, task, agent, provider, target, intent, issued, expires, bg, rttl, pset] = f;
  if (!state || !STATES.has(state) || !provider || !PROVIDERS.has(provider)) return null;
  return {
    id,
    state: state as LeaseState,
    taskId: task ?? "",
    agent: agent ?? "",
    provider: provider as ProviderName,
    target: target ?? null,
    intent: JSON.parse(intent ?? "{}") as Intent,
    issuedAt: Number(issued),
    expiresAt: Number(expires),
    breakGlass: bg !== null,
    requestedTtlSeconds: rttl ? Number(rttl) : null,
    policySet: pset ?? null,
  };
}

function runFromHash(h: Record<string, string>, byPolicy: Record<string, string>): Reevaluation | null {
  if (!h.id) return null;
  return {
    id: h.id,
    trigger: (h.trigger === "reload" ? "reload" : "request") satisfies ReevaluationTrigger,
    dryRun: h.dry === "1",
    requestedBy: h.by ?? "",
    policySet: h.pset ?? "",
    createdAt: Number(h.created),
    state: (h.state ?? "running") as ReevaluationState,
    checked: Number(h.checked ?? 0),
    denied: Number(h.denied ?? 0),
    revoked: Number(h.revoked ?? 0),
    byPolicy: Object.fromEntries(Object.entries(byPolicy).map(([p, n]) => [p, Number(n)])),
    completedAt: h.completed ? Number(h.completed) : null,
    problems: h.problems ? (JSON.parse(h.problems) as string[]) : [],
    supersededBy: h.superseded ? h.superseded : null,
  };
}

/** Policy sets by id, and which one the API processes loaded last. */
export class RedisPolicySetStore implements PolicySetStore {
  private readonly k: ReturnType<typeof reevaluationKeys>;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
  ) {
    this.k = reevaluationKeys(keys);
  }

  put(snapshot: PolicySetSnapshot, options: { current: boolean; keepMs: number }): Promise<boolean> {
    return guard("record policy set", async () => {
      const json = JSON.stringify({ schema: snapshot.schema, files: snapshot.files });
      // Compare-and-set on the loaded set's id: another API process may load one at the same moment.
      for (let attempt = 0; attempt < 10; attempt++) {
        const current = (await this.redis.get(this.k.currentSet)) ?? "";
        const replaced = current === "" ? this.keys.none : this.k.policySet(current);
        const reply = await this.scripts.policySetPut(
          [this.k.policySet(snapshot.id), this.k.currentSet, replaced],
          [snapshot.id, json, options.current ? "1" : "0", options.keepMs, current],
        );
        if (reply !== -1) return reply === 1;
      }
      throw new Error("the loaded policy set kept changing");
    });
  }

  get(id: string): Promise<PolicySetSnapshot | null> {
    return guard("read policy set", async () => {
      const json = await this.redis.get(this.k.policySet(id));
      if (json === null) return null;
      const { schema, files } = JSON.parse(json) as Omit<PolicySetSnapshot, "id">;
      return { id, schema, files };
    });
  }

  current(): Promise<string | null> {
    return guard("read policy set", () => this.redis.get(this.k.currentSet));
  }
}
