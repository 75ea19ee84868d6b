import {
  type CreateTaskOutcome,
  type EndTaskOutcome,
  type LeaseState,
  LeashError,
  type NarrowTaskInput,
  type NarrowTaskOutcome,
  type ProviderName,
  type Task,
  type TaskEnd,
  type TaskStore,
} from "@leash/core";
import { taskFromHash, taskToFields } from "./codec.js";
import type { RedisClient } from "./connection.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import { narrowTaskTree } from "./narrow.js";
import type { ScriptReply, Scripts } from "./scripts.js";

export class RedisTaskStore implements TaskStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
  ) {}

  create(task: Task): Promise<CreateTaskOutcome> {
    return guard("register task", async () => {
      // A task's agent never changes, so the parent's may be read before the script that indexes the delegation.
      const parentAgent =
        task.parentId === null ? null : await this.redis.hget(this.keys.task(task.parentId), "agent");
      if (task.parentId !== null && parentAgent === null)
        throw new LeashError("not_found", `parent task ${task.parentId} does not exist`);
      const created = await this.scripts.createTask(
        [
          this.keys.task(task.id),
          this.keys.activeTasks,
          task.parentId === null ? this.keys.none : this.keys.taskChildren(task.parentId),
          parentAgent === null ? this.keys.none : this.keys.agentDelegations(parentAgent),
          this.keys.agentTasks(task.agent),
          this.keys.suspensions,
          task.parentId === null ? this.keys.none : this.keys.task(task.parentId),
        ],
        [
          ...[task.id, task.deadline, task.parentId ?? "", task.createdAt, task.agent, parentAgent ?? ""],
          ...taskToFields(task),
        ],
      );
      if (created === 1) return { task, created: true };
      // Registered while an identity it depends on is suspended: marked as a suspension's walk marks a task.
      if (created === 2) return { task: { ...task, reachedBySuspension: true }, created: true };
      const existing = await this.get(task.id);
      if (!existing) throw new Error("task vanished after registration conflict");
      return { task: existing, created: false };
    });
  }

  get(taskId: string): Promise<Task | null> {
    return guard("read task", async () => taskFromHash(await this.redis.hgetall(this.keys.task(taskId))));
  }

  end(
    taskId: string,
    state: TaskEnd,
    at: number,
    actor: string,
    inStore: readonly ProviderName[] = [],
  ): Promise<EndTaskOutcome | null> {
    return guard("end task", async () => {
      const reply = await this.endTaskTree(taskId, state, at, [actor, inStore.join(" ")]);
      if (!Array.isArray(reply)) return null;
      const [changed, , count, ...ids] = reply.map(String);
      const task = await this.get(taskId);
      if (!task) return null;
      const n = Number(count);
      return { task, changed: changed === "1", settled: ids.slice(0, n), revoking: ids.slice(n) };
    });
  }

  /**
   * The script may touch only keys it is given, so the tree is read first; if it grew in between (a sub-task or
   * lease added), the script names the keys it lacks and changes nothing, and it is called again with them.
   */
  private async endTaskTree(
    taskId: string,
    state: TaskEnd,
    at: number,
    [actor, inStore]: [string, string],
  ): Promise<ScriptReply> {
    const k = this.keys;
    const head = [
      ...[k.task(taskId), k.activeTasks, k.deadline, k.tasksEnded],
      ...[k.agentsLive, k.providersLive, k.counters, k.auditOutbox, k.leasesEnded],
    ];
    const walk = new Set(await this.treeKeys(taskId));
    for (let attempt = 0; attempt < 10; attempt++) {
      for (const key of head) walk.delete(key);
      const reply = await this.scripts.endTask(
        [...head, ...walk],
        [k.prefix, taskId, state, at, actor, inStore],
      );
      if (!Array.isArray(reply) || reply[0] !== "missing") return reply;
      for (const key of reply.slice(1)) walk.add(String(key));
    }
    throw new Error(`the task tree of ${taskId} kept growing while it was being ended`);
  }

  /** Keys of every task under `taskId` (itself included) and of their leases, one pipelined read per level. */
  private async treeKeys(taskId: string): Promise<string[]> {
    const k = this.keys;
    const keys: string[] = [];
    const seen = new Set<string>();
    let level = [taskId];
    while (level.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const id of level) {
        seen.add(id);
        keys.push(k.task(id), k.taskLeases(id), k.taskChildren(id));
        pipeline.zrange(k.taskLeases(id), 0, -1).smembers(k.taskChildren(id));
      }
      const replies = (await pipeline.exec()) ?? [];
      const next: string[] = [];
      for (const [i, [error, members]] of replies.entries()) {
        if (error) throw error;
        const ids = members as string[];
        if (i % 2 === 0) keys.push(...ids.map((id) => k.lease(id)));
        else next.push(...ids.filter((id) => !seen.has(id)));
      }
      level = [...new Set(next)];
    }
    return keys;
  }

  narrow(input: NarrowTaskInput): Promise<NarrowTaskOutcome | null> {
    return guard("narrow task", async () => {
      const reply = await narrowTaskTree(this.redis, this.keys, this.scripts, input);
      if (reply === null || reply.kind === "changed") return reply;
      const task = await this.get(input.taskId);
      if (!task) return null;
      return reply.kind === "not_active" ? { kind: "not_active", task } : { ...reply, task };
    });
  }

  leaseCounts(taskId: string): Promise<Partial<Record<LeaseState, number>>> {
    return guard("count task leases", async () => {
      const ids = await this.redis.zrange(this.keys.taskLeases(taskId), 0, -1);
      const counts: Partial<Record<LeaseState, number>> = {};
      if (ids.length === 0) return counts;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hget(this.keys.lease(id), "state");
      for (const [error, state] of (await pipeline.exec()) ?? []) {
        if (error || typeof state !== "string") continue;
        const s = state as LeaseState;
        counts[s] = (counts[s] ?? 0) + 1;
      }
      return counts;
    });
  }

  /** Reads the agent's task index, dropping what has passed its deadline or ended (tasks are few per agent). */
  activeOf(agent: string, now: number, limit: number): Promise<string[]> {
    return guard("find the agent's active tasks", async () => {
      const key = this.keys.agentTasks(agent);
      const ids = await this.redis.zrangebyscore(key, `(${now}`, "+inf");
      const states = await Promise.all(ids.map((id) => this.redis.hget(this.keys.task(id), "state")));
      const ended = ids.filter((_, i) => states[i] !== "active");
      const pipeline = this.redis.pipeline().zremrangebyscore(key, "-inf", now);
      if (ended.length > 0) pipeline.zrem(key, ...ended);
      await pipeline.exec();
      return ids.filter((_, i) => states[i] === "active").slice(0, limit);
    });
  }

  dueTasks(now: number, limit: number): Promise<string[]> {
    return guard("find due tasks", () =>
      this.redis.zrangebyscore(this.keys.activeTasks, "-inf", now, "LIMIT", 0, limit),
    );
  }

  children(taskId: string): Promise<string[]> {
    return guard("read sub-tasks", () => this.redis.smembers(this.keys.taskChildren(taskId)));
  }
}
