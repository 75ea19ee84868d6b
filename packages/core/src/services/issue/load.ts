import { LeashError } from "../../errors.js";
import type { Task } from "../../task.js";
import type { BrokerDeps } from "../deps.js";
import type { IssueContext, Loaded } from "./context.js";
import type { TaskCache } from "./task-cache.js";

/**
 * A cached task record was about to be used where only a read will do: to refuse the request (whatever refuses it,
 * it is decided and audited on the records as they are), to ask a person's approval, or for a lease that needs a
 * break-glass grant (written ahead, whose checks trust the levels as read). `issueLease` starts again reading them.
 */
export class ReadTaskAgain extends Error {}

/** Forgets the levels `ctx` took from the cache and starts the issuance again reading them (`ReadTaskAgain`). */
export function readAgain(ctx: Loaded, why: string): never {
  for (const t of [ctx.task, ...ctx.ancestors]) ctx.deps.taskCache?.forget(t.id);
  throw new ReadTaskAgain(why);
}

/**
 * The caller's active task, the provider asked for, and the task's delegation chain. With `cache`, and only for a
 * provider whose credentials die in the store (the issuance in one step, whose store step checks what may have
 * changed), the levels are taken from the process's task cache when it has them.
 */
export async function load(ctx: IssueContext, cache?: TaskCache): Promise<Loaded> {
  const provider = ctx.deps.providers.get(ctx.request.provider);
  const cached = provider?.mintsInProcess === true ? cache : undefined;
  const task = await loadIssuableTask(ctx, cached);
  if (!provider)
    throw new LeashError("invalid_request", `provider ${ctx.request.provider} is not configured`);
  const ancestors = await ancestorsOf(ctx.deps, task, cached);
  return { ...ctx, task, provider, chain: ancestors.map((t) => t.agent), ancestors, cached: !!cached };
}

async function loadIssuableTask(
  { deps, caller, request, now }: IssueContext,
  cache?: TaskCache,
): Promise<Task> {
  const hit = cache?.get(request.taskId);
  // Only the caller's own task is answered from memory: any other id costs the one read it always did, so the
  // cache tells a prober nothing.
  const task = hit?.agent === caller.subject ? hit : await deps.tasks.get(request.taskId);
  // Someone else's task is answered exactly like a missing one (same code, same detail, same single read), so
  // task ids cannot be probed; its state is not revealed either, since this comes before the state check.
  if (!task || task.agent !== caller.subject) {
    throw new LeashError("not_found", `task ${request.taskId} does not exist`);
  }
  if (task.state !== "active" || task.deadline <= now) {
    cache?.forget(task.id);
    throw new LeashError(
      "task_not_active",
      `task ${request.taskId} is ${task.state === "active" ? "past its deadline" : task.state}`,
    );
  }
  if (task !== hit) cache?.set(task);
  return task;
}

/** The ancestor tasks, nearest first: their agents are the RFC 8693 `act` chain and the policy's `task.chain`. */
async function ancestorsOf(deps: BrokerDeps, task: Task, cache?: TaskCache): Promise<Task[]> {
  const ancestors: Task[] = [];
  let parentId = task.parentId;
  while (parentId !== null && ancestors.length <= deps.config.maxDelegationDepth) {
    const hit = cache?.get(parentId);
    const parent = hit ?? (await deps.tasks.get(parentId));
    if (!parent) break;
    if (parent !== hit) cache?.set(parent);
    ancestors.push(parent);
    parentId = parent.parentId;
  }
  return ancestors;
}
