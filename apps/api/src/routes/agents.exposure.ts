import { createRoute, z } from "@hono/zod-openapi";
import { agentQuotas } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { QuotaBinding, quotaBindingView } from "../quota-view.js";
import { bearer, errorResponses, LeaseView, leaseView } from "../schemas.js";
import { SuspensionView, suspensionView } from "../suspension-view.js";

const ExposedLease = LeaseView.extend({
  delegated: z.boolean().openapi({
    description: "True for a delegate's lease: one of a task descending from this agent's tasks",
  }),
  chain: z.array(z.string()).optional().openapi({
    description:
      "On a delegate's lease: the agents of its ancestor tasks, nearest first (as in the token's act claim), ending with this agent",
  }),
}).openapi("ExposedLease");

const Exposure = z
  .object({
    agent: z.string(),
    count: z.number().int(),
    delegated_count: z.number().int(),
    by_provider: z.record(z.string(), z.number().int()),
    live: z.array(ExposedLease),
    suspended: SuspensionView.nullable().openapi({
      description: "The agent's suspension in force (every request it makes is refused), or null",
    }),
    quotas: z.array(QuotaBinding).openapi({
      description:
        "The trust file's quotas that bind the agent, each with the usage of the pool its leases count in",
    }),
  })
  .openapi("Exposure");

const route = createRoute({
  method: "get",
  path: "/v1/agents/{agent}/exposure",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "The agent's blast radius now: every live lease with provider, target, scope and expiry (URL-encode the agent id), and those of every task descending, at any depth, from its tasks (its delegates', marked `delegated` with their `chain`) unless `include_delegated=false`.",
  request: {
    params: z.object({
      agent: z
        .string()
        .min(1)
        .max(512)
        .openapi({ param: { name: "agent", in: "path" } }),
    }),
    query: z.strictObject({
      include_delegated: z
        .enum(["true", "false"])
        .default("true")
        .openapi({ param: { name: "include_delegated", in: "query" } }),
    }),
  },
  responses: {
    200: { description: "Live leases", content: { "application/json": { schema: Exposure } } },
    ...errorResponses,
  },
});

export const registerExposure: RouteRegistrar = (app, ctx) => {
  app.openapi(route, async (c) => {
    const agent = c.req.valid("param").agent;
    // Live = possibly working at a provider: a lease past its expiry stays listed (as `expired`, unconfirmed)
    // until the worker has ended it.
    const now = ctx.broker.clock.now();
    const includeDelegated = c.req.valid("query").include_delegated === "true";
    const exposed = (await ctx.store.leases.exposure(agent, includeDelegated)).sort(
      (a, b) => a.lease.expiresAt - b.lease.expiresAt,
    );
    const byProvider: Record<string, number> = {};
    for (const { lease } of exposed) byProvider[lease.provider] = (byProvider[lease.provider] ?? 0) + 1;
    const live = exposed.map(({ lease, chain }) => ({
      ...leaseView(lease, now),
      delegated: chain !== null,
      ...(chain !== null ? { chain } : {}),
    }));
    return c.json(
      {
        agent,
        count: live.length,
        delegated_count: live.filter((l) => l.delegated).length,
        by_provider: byProvider,
        live,
        suspended: suspensionView(await ctx.broker.suspensions.firstSuspended([agent], now)),
        quotas: (await agentQuotas(ctx.broker, agent)).map(quotaBindingView),
      },
      200,
    );
  });
};
