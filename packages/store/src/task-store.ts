import type { CreateTaskOutcome, EndTaskOutcome, LeaseState, Task, TaskEnd, TaskStore } from "@leash/core";
import type { Redis } from "ioredis";
import { taskFromHash, taskToFields } from "./codec.js";
import { guard } from "./guard.js";
import type { Keyspace } from "./keys.js";
import type { Scripts } from "./scripts.js";

export class RedisTaskStore implements TaskStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly scripts: Scripts,
  ) {}

  create(task: Task): Promise<CreateTaskOutcome> {
    return guard("register task", async () => {
      const created = await this.scripts.createTask(
        [
          this.keys.task(task.id),
          this.keys.activeTasks,
          task.parentId === null ? "" : this.keys.taskChildren(task.parentId),
        ],
        [task.id, task.deadline, ...taskToFields(task)],
      );
      if (created === 1) return { task, created: true };
      const existing = await this.get(task.id);
      if (!existing) throw new Error("task vanished after registration conflict");
      return { task: existing, created: false };
    });
  }

  get(taskId: string): Promise<Task | null> {
    return guard("read task", async () => taskFromHash(await this.redis.hgetall(this.keys.task(taskId))));
  }

  end(taskId: string, state: TaskEnd, at: number, reason: string): Promise<EndTaskOutcome | null> {
    return guard("end task", async () => {
      const reply = await this.scripts.endTask(
        [this.keys.task(taskId), this.keys.activeTasks, this.keys.deadline],
        [this.keys.prefix, taskId, state, at, reason],
      );
      if (!Array.isArray(reply)) return null;
      const [changed, , ...revoking] = reply.map(String);
      const task = await this.get(taskId);
      if (!task) return null;
      return { task, changed: changed === "1", revoking };
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

  dueTasks(now: number, limit: number): Promise<string[]> {
    return guard("find due tasks", () =>
      this.redis.zrangebyscore(this.keys.activeTasks, "-inf", now, "LIMIT", 0, limit),
    );
  }

  children(taskId: string): Promise<string[]> {
    return guard("read sub-tasks", () => this.redis.smembers(this.keys.taskChildren(taskId)));
  }
}
