import { LeashError } from "../../errors.js";
import type { Task } from "../../task.js";
import type { BrokerDeps } from "../deps.js";
import type { IssueContext, Loaded } from "./context.js";

/** The caller's active task, the provider asked for, and the task's delegation chain. */
export async function load(ctx: IssueContext): Promise<Loaded> {
  const task = await loadIssuableTask(ctx);
  const provider = ctx.deps.providers.get(ctx.request.provider);
  if (!provider)
    throw new LeashError("invalid_request", `provider ${ctx.request.provider} is not configured`);
  const ancestors = await ancestorsOf(ctx.deps, task);
  return { ...ctx, task, provider, chain: ancestors.map((t) => t.agent), ancestors };
}

async function loadIssuableTask({ deps, caller, request, now }: IssueContext): Promise<Task> {
  const task = await deps.tasks.get(request.taskId);
  // Someone else's task is answered exactly like a missing one (same code, same detail, same single read), so
  // task ids cannot be probed; its state is not revealed either, since this comes before the state check.
  if (!task || task.agent !== caller.subject) {
    throw new LeashError("not_found", `task ${request.taskId} does not exist`);
  }
  if (task.state !== "active" || task.deadline <= now) {
    throw new LeashError(
      "task_not_active",
      `task ${request.taskId} is ${task.state === "active" ? "past its deadline" : task.state}`,
    );
  }
  return task;
}

/** The ancestor tasks, nearest first: their agents are the RFC 8693 `act` chain and the policy's `task.chain`. */
async function ancestorsOf(deps: BrokerDeps, task: Task): Promise<Task[]> {
  const ancestors: Task[] = [];
  let parentId = task.parentId;
  while (parentId !== null && ancestors.length <= deps.config.maxDelegationDepth) {
    const parent = await deps.tasks.get(parentId);
    if (!parent) break;
    ancestors.push(parent);
    parentId = parent.parentId;
  }
  return ancestors;
}
