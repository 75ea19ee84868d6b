import { createRoute, type z } from "@hono/zod-openapi";
import { type Campaign, type LeaseSelector, LeashError, startCampaign } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import {
  bearer,
  errorResponses,
  IdParam,
  RevocationBody,
  RevocationPreview,
  RevocationView,
  type Selector,
} from "../schemas.js";

const create = createRoute({
  method: "post",
  path: "/v1/revocations",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Mass revocation: every live lease matching the selector is revoked by a campaign in the worker, in chunks, with progress at GET /v1/revocations/{id}. A selector by agent or agent_prefix includes the agents' delegates (the leases of every task descending from their tasks) unless `include_delegated` is false. `dry_run` only previews, counting the same leases.",
  request: { body: { content: { "application/json": { schema: RevocationBody } }, required: true } },
  responses: {
    202: { description: "Campaign started", content: { "application/json": { schema: RevocationView } } },
    200: {
      description: "Dry run: what the order would hit",
      content: { "application/json": { schema: RevocationPreview } },
    },
    ...errorResponses,
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/revocations/{id}",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  request: { params: IdParam },
  responses: {
    200: { description: "Campaign progress", content: { "application/json": { schema: RevocationView } } },
    ...errorResponses,
  },
});

function toSelector(s: z.infer<typeof Selector>): LeaseSelector {
  const byAgent = s.agent !== undefined || s.agent_prefix !== undefined;
  return {
    agent: s.agent,
    agentPrefix: s.agent_prefix,
    taskId: s.task_id,
    provider: s.provider,
    target: s.target,
    issuedBefore: s.issued_before === undefined ? undefined : Date.parse(s.issued_before),
    all: s.all,
    // Everything a delegate holds came from the delegator's authority: by default it goes with it.
    ...(byAgent ? { includeDelegated: s.include_delegated ?? true } : {}),
  };
}

function view(c: Campaign): z.infer<typeof RevocationView> {
  return {
    id: c.id,
    state: c.state,
    matched: c.matched,
    ordered: c.ordered,
    revoked: c.revoked,
    failed: c.failed,
    reason: c.reason,
    created_at: new Date(c.createdAt).toISOString(),
  };
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export const registerRevocations: RouteRegistrar = (app, ctx) => {
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const selector = toSelector(body.selector);
    if (body.dry_run) {
      const hits = await ctx.store.leases.selectLive(selector);
      return c.json(
        {
          matched: hits.length,
          by_provider: tally(hits.map((l) => l.provider)),
          by_agent: tally(hits.map((l) => l.agent)),
        },
        200,
      );
    }
    return c.json(
      view(await startCampaign(ctx.campaigns, c.get("identity").subject, selector, body.reason)),
      202,
    );
  });
  app.openapi(get, async (c) => {
    const campaign = await ctx.store.campaigns.get(c.req.valid("param").id);
    if (!campaign) throw new LeashError("not_found", `revocation ${c.req.valid("param").id} does not exist`);
    return c.json(view(campaign), 200);
  });
};
