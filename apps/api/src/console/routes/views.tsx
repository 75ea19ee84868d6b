import {
  agentQuotas,
  getLease,
  getTask,
  isLive,
  LeaseState,
  observedState,
  ProviderName,
  quotaTotals,
} from "@leash/core";
import type { Hono } from "hono";
import { z } from "zod";
import type { ApiContext } from "../../context.js";
import type { ConsoleEnv } from "../env.js";
import { ExposurePage } from "../pages/agent.js";
import { LeasePage } from "../pages/lease.js";
import { LeasesPage } from "../pages/leases.js";
import { QuotasPage } from "../pages/quotas.js";
import { TaskPage } from "../pages/task.js";
import { renderPage } from "../render.js";
import { optional, parseWith, Text } from "./query.js";

/** Beyond this many rows the page shows the newest and says how many there are (the counts stay exact). */
const MAX_ROWS = 200;
/** The agent page sums its gateway traffic over this many days (the counters expire with lease retention). */
const TRAFFIC_DAYS = 7;

const LeaseFilters = z.object({
  agent: optional(Text),
  task_id: optional(Text),
  provider: optional(ProviderName),
  target: optional(z.string().trim().min(1).max(2048)),
  state: optional(LeaseState.refine(isLive, "a live state: pending, active, revoking or revoke_failed")),
});

/** Read-only pages, on the same store queries as GET /v1/leases, /v1/agents/{agent}/exposure and /v1/tasks/{id}. */
export function registerViews(web: Hono<ConsoleEnv>, ctx: ApiContext) {
  web.get("/", async (c) => {
    const filters = parseWith(LeaseFilters, c.req.query());
    const selected = await ctx.store.leases.selectLive({
      agent: filters.agent,
      taskId: filters.task_id,
      provider: filters.provider,
      target: filters.target,
    });
    const now = Date.now();
    const matching = filters.state
      ? selected.filter((l) => observedState(l, now).state === filters.state)
      : selected;
    const shown = [...matching].sort((a, b) => b.issuedAt - a.issuedAt).slice(0, MAX_ROWS);
    return renderPage(
      c,
      "Live leases",
      <LeasesPage filters={filters} matching={matching} shown={shown} now={now} />,
    );
  });

  web.get("/agent", async (c) => {
    const { agent } = parseWith(z.object({ agent: optional(Text) }), c.req.query());
    // The same reading as GET /v1/agents/{agent}/exposure: its own leases and its delegates'.
    const exposed = agent
      ? (await ctx.store.leases.exposure(agent, true)).sort((a, b) => a.lease.expiresAt - b.lease.expiresAt)
      : [];
    const quotas = agent ? await agentQuotas(ctx.broker, agent) : [];
    const traffic = agent ? await ctx.store.gatewayTraffic.agent(agent, TRAFFIC_DAYS) : [];
    const suspension = agent
      ? await ctx.broker.suspensions.firstSuspended([agent], ctx.broker.clock.now())
      : null;
    return renderPage(
      c,
      "Agent exposure",
      <ExposurePage
        agent={agent}
        exposed={exposed}
        quotas={quotas}
        traffic={{ rows: traffic, days: TRAFFIC_DAYS }}
        now={Date.now()}
        suspension={suspension}
        csrf={c.get("csrf")}
      />,
    );
  });

  web.get("/leases/:id", async (c) => {
    const lease = await getLease(ctx.broker, c.get("identity"), c.req.param("id"));
    const traffic = lease.provider === "gateway" ? await ctx.store.gatewayTraffic.lease(lease.id) : undefined;
    return renderPage(c, `Lease ${lease.id}`, <LeasePage lease={lease} traffic={traffic} now={Date.now()} />);
  });

  web.get("/tasks/:id", async (c) => {
    const { task, counts, quotaUsage } = await getTask(ctx.broker, c.get("identity"), c.req.param("id"));
    return renderPage(
      c,
      `Task ${task.id}`,
      <TaskPage task={task} counts={counts} quotaUsage={quotaUsage} now={Date.now()} />,
    );
  });

  web.get("/quotas", async (c) => {
    return renderPage(c, "Quotas", <QuotasPage standings={await quotaTotals(ctx.broker)} />);
  });
}
