import { liftSuspension, suspendAgent } from "@leash/core";
import type { Hono } from "hono";
import { z } from "zod";
import type { ApiContext } from "../../context.js";
import type { ConsoleEnv } from "../env.js";
import { SuspendPage } from "../pages/suspend.js";
import { renderPage } from "../render.js";
import { optional, parseWith, Text } from "./query.js";

const Order = z.object({
  agent: Text,
  reason: z.string().trim().min(1).max(500),
  minutes: optional(z.coerce.number().int().min(1).max(525_600)),
  include_delegated: optional(z.literal("true")),
});

const agentHref = (agent: string) => `/console/agent?agent=${encodeURIComponent(agent)}`;

/**
 * Suspending and lifting from the console take the API's core paths (POST and DELETE
 * /v1/agents/{agent}/suspend) with the signed-in person as the audited actor. A GET only shows the confirmation.
 */
export function registerSuspend(web: Hono<ConsoleEnv>, ctx: ApiContext) {
  web.get("/suspend", async (c) => {
    const { agent } = parseWith(z.object({ agent: Text }), c.req.query());
    const exposed = await ctx.store.leases.exposure(agent, true);
    return renderPage(
      c,
      "Confirm suspension",
      <SuspendPage
        agent={agent}
        live={exposed.map((e) => e.lease)}
        delegated={exposed.filter((e) => e.chain !== null).length}
        csrf={c.get("csrf")}
        now={ctx.broker.clock.now()}
      />,
    );
  });

  web.post("/suspend", async (c) => {
    const order = parseWith(Order, await c.req.parseBody(), "form");
    const now = ctx.broker.clock.now();
    await suspendAgent(ctx.broker, c.get("identity"), {
      agent: order.agent,
      reason: order.reason,
      until: order.minutes === undefined ? undefined : now + order.minutes * 60_000,
      includeDelegated: order.include_delegated === "true",
    });
    return c.redirect(agentHref(order.agent), 303);
  });

  web.post("/unsuspend", async (c) => {
    const { agent } = parseWith(z.object({ agent: Text }), await c.req.parseBody(), "form");
    await liftSuspension(ctx.broker, c.get("identity"), agent);
    return c.redirect(agentHref(agent), 303);
  });
}
