import { decideApproval } from "@leash/core";
import type { Hono } from "hono";
import type { ApiContext } from "../../context.js";
import type { ConsoleEnv } from "../env.js";
import { ApprovalsPage } from "../pages/approvals.js";
import { renderPage } from "../render.js";

/** Step-up decisions through the same core function as POST /v1/approvals/{id}/approve|deny. */
export function registerApprovals(web: Hono<ConsoleEnv>, ctx: ApiContext) {
  web.get("/approvals", async (c) => {
    const [pending, latest] = await Promise.all([
      ctx.store.approvals.list("pending", 200),
      ctx.store.approvals.list(undefined, 50),
    ]);
    const recent = latest.filter((a) => a.state !== "pending").slice(0, 20);
    return renderPage(
      c,
      "Approvals",
      <ApprovalsPage pending={pending} recent={recent} csrf={c.get("csrf")} now={Date.now()} />,
    );
  });

  for (const [verdict, state] of [
    ["approve", "approved"],
    ["deny", "denied"],
  ] as const) {
    web.post(`/approvals/:id/${verdict}`, async (c) => {
      await decideApproval(ctx.broker, c.get("identity"), c.req.param("id"), state);
      return c.redirect("/console/approvals", 303);
    });
  }
}
