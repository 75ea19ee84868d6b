import { createRoute } from "@hono/zod-openapi";
import { endTask } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { bearer, errorResponses, IdParam, TaskEnded } from "../schemas.js";

function route(action: "complete" | "cancel") {
  return createRoute({
    method: "post",
    path: `/v1/tasks/{id}/${action}`,
    tags: ["tasks"],
    security: bearer,
    description: `Marks the task ${action === "complete" ? "completed" : "cancelled"} and revokes every live lease of it and of its sub-tasks. Idempotent.`,
    request: { params: IdParam },
    responses: {
      202: { description: "Revocation scheduled", content: { "application/json": { schema: TaskEnded } } },
      ...errorResponses,
    },
  });
}

export const registerTasksEnd: RouteRegistrar = (app, ctx) => {
  for (const [action, state] of [
    ["complete", "completed"],
    ["cancel", "cancelled"],
  ] as const) {
    app.openapi(route(action), async (c) => {
      const { task, revoking, settled } = await endTask(
        ctx.broker,
        c.get("identity"),
        c.req.valid("param").id,
        state,
      );
      ctx.metrics.settledAtTaskEnd.inc(settled);
      return c.json({ id: task.id, state: task.state, revoking }, 202);
    });
  }
};
