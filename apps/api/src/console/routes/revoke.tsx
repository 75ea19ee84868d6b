import { endTask, LeashError, returnLease, startCampaign } from "@leash/core";
import type { Hono } from "hono";
import { z } from "zod";
import type { ApiContext } from "../../context.js";
import { leaseHref, taskHref } from "../components/lease-table.js";
import type { ConsoleEnv } from "../env.js";
import { countHits } from "../hits.js";
import { CampaignPage } from "../pages/campaign.js";
import { ConfirmPage } from "../pages/confirm.js";
import { renderPage } from "../render.js";
import { parseWith, Text } from "./query.js";

const Target = z.object({ kind: z.enum(["lease", "task", "agent"]), id: Text });

const Order = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("lease"), id: Text }),
  z.object({ kind: z.literal("task"), id: Text }),
  z.object({ kind: z.literal("agent"), id: Text, reason: z.string().trim().min(1).max(500) }),
]);

const campaignHref = (id: string) => `/console/campaigns/${encodeURIComponent(id)}`;

/**
 * Revocation from the console goes through the same core paths as the API, with the signed-in person as the
 * audited actor: a lease as DELETE /v1/leases/{id}, a task as POST /v1/tasks/{id}/cancel, an agent as a
 * POST /v1/revocations campaign. A GET only ever shows the confirmation; the POST acts.
 */
export function registerRevoke(web: Hono<ConsoleEnv>, ctx: ApiContext) {
  web.get("/revoke", async (c) => {
    const { kind, id } = parseWith(Target, c.req.query());
    const hits = await countHits(ctx.store, kind, id);
    if (!hits.found) throw new LeashError("not_found", `${kind} ${id} does not exist`);
    return renderPage(
      c,
      "Confirm revocation",
      <ConfirmPage kind={kind} id={id} live={hits.live} csrf={c.get("csrf")} now={Date.now()} />,
    );
  });

  web.post("/revoke", async (c) => {
    const order = parseWith(Order, await c.req.parseBody(), "form");
    const caller = c.get("identity");
    switch (order.kind) {
      case "lease":
        await returnLease(ctx.broker, caller, order.id);
        return c.redirect(leaseHref(order.id), 303);
      case "task":
        ctx.metrics.settledAtTaskEnd.inc((await endTask(ctx.broker, caller, order.id, "cancelled")).settled);
        return c.redirect(taskHref(order.id), 303);
      case "agent": {
        const campaign = await startCampaign(
          ctx.campaigns,
          caller.subject,
          { agent: order.id, includeDelegated: true },
          order.reason,
        );
        return c.redirect(campaignHref(campaign.id), 303);
      }
    }
  });

  web.get("/campaigns/:id", async (c) => {
    const campaign = await ctx.store.campaigns.get(c.req.param("id"));
    if (!campaign) throw new LeashError("not_found", `revocation ${c.req.param("id")} does not exist`);
    return renderPage(
      c,
      `Revocation ${campaign.id}`,
      <CampaignPage campaign={campaign} nonce={c.get("nonce")} />,
    );
  });

  web.get("/campaigns/:id/progress", async (c) => {
    const campaign = await ctx.store.campaigns.get(c.req.param("id"));
    if (!campaign) throw new LeashError("not_found", `revocation ${c.req.param("id")} does not exist`);
    const { matched, revoked, failed, state } = campaign;
    return c.json({ matched, revoked, failed, state });
  });
}
