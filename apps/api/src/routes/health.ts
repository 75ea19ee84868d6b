import { createRoute, z } from "@hono/zod-openapi";
import type { RouteRegistrar } from "../context.js";

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["operations"],
  responses: {
    200: {
      description: "Process up",
      content: { "application/json": { schema: z.object({ ok: z.boolean() }) } },
    },
  },
});

const Readiness = z.object({
  ok: z.boolean(),
  redis: z.boolean(),
  worker: z.boolean(),
  gateway: z.boolean().optional().openapi({
    description: "With a gateway section in the trust file only: whether the gateway answers GET /healthz",
  }),
});
const readyz = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["operations"],
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: Readiness } } },
    503: { description: "Not ready", content: { "application/json": { schema: Readiness } } },
  },
});

export const registerHealth: RouteRegistrar = (app, ctx) => {
  app.openapi(healthz, (c) => c.json({ ok: true }, 200));
  app.openapi(readyz, async (c) => {
    const state = await ctx.readiness();
    const ok = state.redis && state.worker && state.gateway !== false;
    return ok ? c.json({ ok, ...state }, 200) : c.json({ ok, ...state }, 503);
  });
};
