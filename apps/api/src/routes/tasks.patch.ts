import { createRoute, z } from "@hono/zod-openapi";
import { Ceiling, effectiveCeilingOf, getTask, narrowTask } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { bearer, errorResponses, IdParam, TaskView, taskView } from "../schemas.js";

const Body = z.strictObject({ ceiling: Ceiling }).openapi("TaskNarrow");

const Narrowed = TaskView.extend({
  revoking: z.number().int().openapi({
    description:
      "Live leases of the task and its descendants this narrowing revoked (outside the new ceiling)",
  }),
}).openapi("TaskNarrowed");

const route = createRoute({
  method: "patch",
  path: "/v1/tasks/{id}",
  tags: ["tasks"],
  security: bearer,
  description:
    "Narrows the task's ceiling (the orchestrator any task, the agent of a parent task its direct sub-tasks; another agent gets 404, any other caller 403). The new ceiling must be within the current one by the sub-task rule (equal is accepted and revokes nothing), else 403 ceiling_exceeded; a task that is not active is 409 task_not_active. Every live lease of the task and its descendants outside the new ceiling is revoked (cause ceiling_narrowed), in the same step as the change; leases issued under break-glass end with their grant instead.",
  request: {
    params: IdParam,
    body: { content: { "application/json": { schema: Body } }, required: true },
  },
  responses: {
    200: { description: "Narrowed", content: { "application/json": { schema: Narrowed } } },
    ...errorResponses,
  },
});

export const registerTasksPatch: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const caller = c.get("identity");
    const { task, revoking } = await narrowTask(
      ctx.broker,
      caller,
      c.req.valid("param").id,
      c.req.valid("json").ceiling,
    );
    // As GET /v1/tasks/{id} shows it, where the caller may read it (a parent task's agent that did not register
    // the sub-task may narrow it without reading it: it gets the counts without the quota usage).
    const read = await getTask(ctx.broker, caller, task.id).catch(() => null);
    const counts = read?.counts ?? (await ctx.broker.tasks.leaseCounts(task.id));
    const effective = await effectiveCeilingOf(ctx.broker, task);
    return c.json({ ...taskView(task, counts, read?.quotaUsage ?? null, effective), revoking }, 200);
  });
};
