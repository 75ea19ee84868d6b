import type { RedisClient } from "./connection.js";
import type { LuaScript, ScriptReply } from "./scripts.js";

/**
 * Redis replicates asynchronously: a write the primary acknowledged can be missing from the replica that a
 * failover promotes. `WAIT replicas timeout` after the write makes the primary confirm that many replicas hold it.
 */
export interface Durability {
  replicas: number;
  timeoutMs: number;
}

export class NotReplicatedError extends Error {
  constructor(acknowledged: number, wanted: number) {
    super(`write reached ${acknowledged} of ${wanted} required replicas in time`);
    this.name = "NotReplicatedError";
  }
}

interface Call {
  script: LuaScript;
  keys: readonly string[];
  args: readonly (string | number)[];
  /** EVAL with the script text instead of EVALSHA: after a NOSCRIPT, or for a connection that lost its cache. */
  full: boolean;
  resolve: (reply: ScriptReply) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: the script calls of one event-loop turn go out as one pipeline closed by a single WAIT. WAIT covers
 * the earlier writes of its own connection only, and a pipeline keeps them on one connection (in a Redis Cluster,
 * the node of the prefix's slot), so the WAIT's count is the count for every write of the batch. Without
 * batching, WAIT would block the shared connection once per write.
 */
export function durableRunner(redis: RedisClient, durability: Durability) {
  let queue: Call[] = [];
  let scheduled = false;

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = queue;
    queue = [];
    const pipeline = redis.pipeline();
    for (const c of batch) {
      if (c.full) pipeline.eval(c.script.lua, c.keys.length, ...c.keys, ...c.args);
      else pipeline.evalsha(c.script.sha, c.keys.length, ...c.keys, ...c.args);
    }
    pipeline.wait(durability.replicas, durability.timeoutMs);
    let replies: [Error | null, unknown][];
    try {
      replies = (await pipeline.exec()) ?? [];
    } catch (error) {
      for (const c of batch) c.reject(error);
      return;
    }
    const [waitError, acknowledged] = replies[batch.length] ?? [new Error("no reply to WAIT"), 0];
    const replicated = waitError === null && Number(acknowledged) >= durability.replicas;
    for (const [i, c] of batch.entries()) {
      const [error, reply] = replies[i] ?? [new Error("no reply"), null];
      if (error?.message.startsWith("NOSCRIPT") && !c.full) {
        // Nothing ran: send the script text with the next batch (EVAL also caches it for later EVALSHAs).
        enqueue({ ...c, full: true });
      } else if (error) c.reject(error);
      else if (!replicated)
        c.reject(waitError ?? new NotReplicatedError(Number(acknowledged), durability.replicas));
      else c.resolve(reply as ScriptReply);
    }
  }

  function enqueue(call: Call): void {
    queue.push(call);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  return (script: LuaScript, keys: readonly string[], args: readonly (string | number)[]) =>
    new Promise<ScriptReply>((resolve, reject) =>
      enqueue({ script, keys, args, full: false, resolve, reject }),
    );
}

/**
 * For acknowledged writes made outside the script runner (the audit chain, a campaign's record): resolves once the
 * configured replicas hold everything this connection has written so far, else throws NotReplicatedError. `key`
 * (any key of the prefix's slot) routes the WAIT, in a Redis Cluster, to the node those writes went to: a command
 * without a key would go to any node.
 */
export async function awaitReplicas(
  redis: RedisClient,
  durability: Durability | undefined,
  key: string,
): Promise<void> {
  if (durability === undefined || durability.replicas <= 0) return;
  const replies =
    (await redis.pipeline().exists(key).wait(durability.replicas, durability.timeoutMs).exec()) ?? [];
  const [error, acknowledged] = replies[1] ?? [new Error("no reply to WAIT"), 0];
  if (error) throw error;
  if (Number(acknowledged) < durability.replicas) {
    throw new NotReplicatedError(Number(acknowledged), durability.replicas);
  }
}
