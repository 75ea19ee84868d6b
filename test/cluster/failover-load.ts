import { shardInId } from "@leash/core";
import { waitFor } from "@leash/devstack";
import { connectRedis } from "@leash/store";
import { agentId, ORCHESTRATOR, type Stack } from "../support/stack.js";
import { storeOf } from "../support/store.js";

/** A lease the API answered 201 for: the agent holds its token, so Leash must track it and revoke it. */
interface IssuedLease {
  id: string;
  token: string;
  taskId: string;
  expiresAt: number;
}

export interface LoadRecord {
  issued: IssuedLease[];
  /** Task id -> when the API acknowledged its completion (202). */
  completedAt: Map<string, number>;
  /** Responses by status: anything but 2xx is a refused request. */
  statuses: Record<number, number>;
  refused: number;
  /** First and last refusal, epoch ms: the window in which callers saw the failover. */
  refusedFrom: number | null;
  refusedUntil: number | null;
  /** Tasks registered (201) that the API no longer knew when the orchestrator completed them. */
  lostTasks: string[];
  /** Tasks whose completion was still refused 20 s after the load stopped. */
  uncompletedTasks: string[];
  /** Refused requests about a known task, by the shard its id names (0 for none); a new task's by `new`. */
  refusedByShard: Record<string, number>;
}

export interface LoadOptions {
  clients: number;
  ttlSeconds: number;
  /** Leases issued per task before the orchestrator completes it. */
  leasesPerTask: number;
}

/**
 * Agents asking for leases and an orchestrator completing their tasks, as fast as the stack answers, until
 * `stop()` resolves. Every response is counted; a refused request is retried after a short pause, as an SDK would.
 */
export async function runLoad(
  stack: Stack,
  options: LoadOptions,
  stop: Promise<void>,
  /** Handed the record as it fills, to wait on its progress. */
  watch?: (record: Readonly<LoadRecord>) => void,
): Promise<LoadRecord> {
  const record: LoadRecord = {
    issued: [],
    completedAt: new Map(),
    statuses: {},
    refused: 0,
    refusedFrom: null,
    refusedUntil: null,
    lostTasks: [],
    uncompletedTasks: [],
    refusedByShard: {},
  };
  watch?.(record);
  let running = true;
  let giveUpAt = Number.POSITIVE_INFINITY;
  void stop.then(() => {
    running = false;
    giveUpAt = Date.now() + 20_000;
  });
  const orch = await stack.token(ORCHESTRATOR, 600);
  const count = (status: number, taskId: string | undefined) => {
    record.statuses[status] = (record.statuses[status] ?? 0) + 1;
    if (status < 300) return;
    const shard = taskId === undefined ? "new" : String(shardInId(taskId) ?? 0);
    record.refusedByShard[shard] = (record.refusedByShard[shard] ?? 0) + 1;
    record.refused++;
    record.refusedFrom ??= Date.now();
    record.refusedUntil = Date.now();
  };
  const pause = () => new Promise((r) => setTimeout(r, 20));
  /** The response if it succeeded; the status either way (599: no answer within 10 s or a network error). */
  const call = async (method: string, path: string, token: string, body?: unknown, taskId?: string) => {
    const res = await Promise.race([
      stack.call(method, path, token, body),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000)),
    ]).catch(() => null);
    const status = res?.status ?? 599;
    count(status, taskId);
    if (res && status < 300) return { ok: res, status };
    await res?.text();
    await pause();
    return { ok: null, status };
  };

  const client = async (n: number) => {
    const name = `failover-${n}`;
    const agent = await stack.token(agentId(name), 600);
    while (running) {
      const { ok: created } = await call("POST", "/v1/tasks", orch, {
        agent: agentId(name),
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 600,
      });
      if (!created) continue;
      const { id: taskId } = (await created.json()) as { id: string };
      let issued = 0;
      while (running && issued < options.leasesPerTask) {
        const { ok: res, status } = await call(
          "POST",
          "/v1/leases",
          agent,
          {
            task_id: taskId,
            provider: "leash-jwt",
            intent: { action: "read", resource: `docs/${issued}` },
            ttl_seconds: options.ttlSeconds,
          },
          taskId,
        );
        if (status === 404) break; // the failover lost the task: completing it will say so
        if (!res) continue;
        const body = (await res.json()) as {
          lease_id: string;
          expires_at: string;
          credential: { token: string };
        };
        record.issued.push({
          id: body.lease_id,
          token: body.credential.token,
          taskId,
          expiresAt: Date.parse(body.expires_at),
        });
        issued++;
      }
      // Completion must get through, or the task's leases would only end at their expiry; a 404 means the
      // failover lost the task itself (its leases are judged like any other).
      for (;;) {
        const { ok: done, status } = await call(
          "POST",
          `/v1/tasks/${taskId}/complete`,
          orch,
          undefined,
          taskId,
        );
        if (done) {
          record.completedAt.set(taskId, Date.now());
          await done.text();
          break;
        }
        if (status === 404) {
          record.lostTasks.push(taskId);
          break;
        }
        if (!running && Date.now() > giveUpAt) {
          record.uncompletedTasks.push(taskId);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, n) => client(n)));
  return record;
}

export interface Outcome {
  issued: number;
  /** 201 answered, but no record of the lease remains: a credential Leash no longer knows. */
  lost: string[];
  /** Recorded, but ended some other way than revoked or expired (e.g. its activation was undone). */
  byState: Record<string, number>;
  /** Revoked later than one second after it was due (task completion acknowledged, or expiry). */
  late: number;
  worstLatenessMs: number;
  auditChainOk: boolean;
}

/** Waits until every issued lease has ended (or `timeoutMs` passed), then judges what the run cost. */
export async function settleAndJudge(stack: Stack, record: LoadRecord, timeoutMs = 30_000): Promise<Outcome> {
  const redis = connectRedis(stack.redis, { mode: "worker", name: "failover-judge" });
  try {
    const store = await storeOf(redis, stack.prefix);
    const ids = record.issued.map((l) => l.id);
    const ENDED = new Set(["revoked", "expired", "aborted"]);
    const leases = await waitFor(
      async () => {
        const found = await store.leases.getMany(ids);
        return found.every((l) => ENDED.has(l.state)) ? found : undefined;
      },
      { timeoutMs, intervalMs: 250, what: "every issued lease to end" },
    ).catch(() => store.leases.getMany(ids));
    const found = new Map(leases.map((l) => [l.id, l]));
    const byState: Record<string, number> = {};
    let late = 0;
    let worstLatenessMs = 0;
    for (const issued of record.issued) {
      const lease = found.get(issued.id);
      if (!lease) continue;
      byState[lease.state] = (byState[lease.state] ?? 0) + 1;
      const completed = record.completedAt.get(issued.taskId) ?? Number.POSITIVE_INFINITY;
      const due = Math.min(issued.expiresAt, completed);
      const lateness = (lease.revokedAt ?? Date.now()) - due;
      worstLatenessMs = Math.max(worstLatenessMs, lateness);
      if (lateness > 1_000) late++;
    }
    // Every shard's chain, and with several shards the anchors that tie them together.
    const audit = await store.audit.verify();
    return {
      issued: ids.length,
      lost: ids.filter((id) => !found.has(id)),
      byState,
      late,
      worstLatenessMs,
      auditChainOk: audit.ok,
    };
  } finally {
    await redis.quit();
  }
}

/** Whether introspection still calls a token active (it must not, for a lease Leash has no record of). */
export async function introspectsActive(stack: Stack, token: string): Promise<boolean> {
  const caller = await stack.token(ORCHESTRATOR);
  const res = await stack.call("POST", "/v1/introspect", caller, `token=${token}`, {
    "content-type": "application/x-www-form-urlencoded",
  });
  return ((await res.json()) as { active: boolean }).active;
}
