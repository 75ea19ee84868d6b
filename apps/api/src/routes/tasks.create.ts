import { createRoute } from "@hono/zod-openapi";
import { effectiveCeilingOf, registerTask } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { bearer, errorResponses, TaskCreateBody, TaskView, taskView } from "../schemas.js";

const route = createRoute({
  method: "post",
  path: "/v1/tasks",
  tags: ["tasks"],
  security: bearer,
  description:
    "Registers a task (orchestrator), or a delegated sub-task (the agent owning `parent_id`). The same `id` with the same body returns the existing task (200); with another body, 409.",
  request: { body: { content: { "application/json": { schema: TaskCreateBody } }, required: true } },
  responses: {
    201: { description: "Registered", content: { "application/json": { schema: TaskView } } },
    200: {
      description: "Already registered with this body",
      content: { "application/json": { schema: TaskView } },
    },
    ...errorResponses,
  },
});

export const registerTasksCreate: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const { task, created } = await registerTask(ctx.broker, c.get("identity"), {
      id: body.id,
      agent: body.agent,
      ceiling: body.ceiling,
      ttlSeconds: body.ttl_seconds,
      parentId: body.parent_id,
      labels: body.labels ?? {},
      quota: body.quota && { maxLive: body.quota.max_live, maxIssued: body.quota.max_issued },
    });
    const view = taskView(task, {}, null, await effectiveCeilingOf(ctx.broker, task));
    return created ? c.json(view, 201) : c.json(view, 200);
  });
};
