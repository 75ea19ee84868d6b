import { createRoute } from "@hono/zod-openapi";
import { effectiveCeilingOf, getTask } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { bearer, errorResponses, IdParam, TaskView, taskView } from "../schemas.js";

const route = createRoute({
  method: "get",
  path: "/v1/tasks/{id}",
  tags: ["tasks"],
  security: bearer,
  description:
    "A task with its state, deadline, effective ceiling (its own intersected with every ancestor's) and lease counts by state (revocation progress after completion), and its quota with what it counts now.",
  request: { params: IdParam },
  responses: {
    200: { description: "The task", content: { "application/json": { schema: TaskView } } },
    ...errorResponses,
  },
});

export const registerTasksGet: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const { task, counts, quotaUsage } = await getTask(
      ctx.broker,
      c.get("identity"),
      c.req.valid("param").id,
    );
    const effective = await effectiveCeilingOf(ctx.broker, task);
    return c.json(taskView(task, counts, quotaUsage, effective), 200);
  });
};
