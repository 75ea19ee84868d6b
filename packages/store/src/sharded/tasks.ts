import {
  type CreateTaskOutcome,
  idNamesShard,
  type NarrowTaskInput,
  type ProviderName,
  shardInId,
  type Task,
  type TaskEnd,
  taskShard,
} from "@leash/core";
import type { Public } from "../store.js";
import type { RedisTaskStore } from "../task-store.js";
import type { ShardRouter } from "./router.js";

/** The TaskStore over every shard: a task tree lives in one shard, so each call about a task goes there whole. */
export class ShardedTaskStore implements Public<RedisTaskStore> {
  constructor(
    private readonly router: ShardRouter,
    /** How long an ended task stays readable: its placement record is kept as long. */
    private readonly retentionMs: number,
  ) {}

  async create(task: Task): Promise<CreateTaskOutcome> {
    let shard = taskShard(task);
    if (!idNamesShard(task.id, shard)) {
      // An id an orchestrator chose: record where it went, or learn where a first registration put it.
      shard = await this.router.place(task.id, shard, task.deadline + this.retentionMs);
    }
    const placed: Task = { ...task };
    if (shard === (shardInId(task.id) ?? 0)) delete placed.shard;
    else placed.shard = shard;
    return this.router.at(shard).tasks.create(placed);
  }

  async get(taskId: string) {
    return (await this.router.ofTask(taskId)).tasks.get(taskId);
  }

  async end(taskId: string, state: TaskEnd, at: number, actor: string, inStore?: readonly ProviderName[]) {
    return (await this.router.ofTask(taskId)).tasks.end(taskId, state, at, actor, inStore);
  }

  async narrow(input: NarrowTaskInput) {
    return (await this.router.ofTask(input.taskId)).tasks.narrow(input);
  }

  async leaseCounts(taskId: string) {
    return (await this.router.ofTask(taskId)).tasks.leaseCounts(taskId);
  }

  async activeOf(agent: string, now: number, limit: number): Promise<string[]> {
    return (await this.router.all((s) => s.tasks.activeOf(agent, now, limit))).flat().slice(0, limit);
  }

  async dueTasks(now: number, limit: number): Promise<string[]> {
    return (await this.router.all((s) => s.tasks.dueTasks(now, limit))).flat();
  }

  async children(taskId: string): Promise<string[]> {
    return (await this.router.ofTask(taskId)).tasks.children(taskId);
  }
}
