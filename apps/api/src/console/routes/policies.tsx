import { LeashError } from "@leash/core";
import type { Hono } from "hono";
import { z } from "zod";
import type { ApiContext } from "../../context.js";
import { orderReevaluation, previewReevaluation } from "../../reevaluations.js";
import type { ConsoleEnv } from "../env.js";
import { PoliciesPage, PreviewPage } from "../pages/policies.js";
import { renderPage } from "../render.js";
import { parseWith } from "./query.js";

const Change = z.object({
  file: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.cedar$/, "a file name ending in .cedar"),
  text: z.string().max(60_000),
});

/**
 * A policy change previewed before it is applied, through the API's own path (a dry run of the re-evaluation,
 * audited with the signed-in person as the actor); ordering a re-evaluation likewise.
 */
export function registerPolicies(web: Hono<ConsoleEnv>, ctx: ApiContext) {
  web.get("/policies", async (c) =>
    renderPage(
      c,
      "Policies",
      <PoliciesPage
        loaded={ctx.policySnapshot()}
        runs={await ctx.store.reevaluations.list(20)}
        csrf={c.get("csrf")}
      />,
    ),
  );

  web.post("/policies/preview", async (c) => {
    const change = parseWith(Change, await c.req.parseBody(), "form");
    const loaded = ctx.policySnapshot();
    if (!loaded) throw new LeashError("conflict", "no policy set is loaded: there is nothing to change");
    const files = { ...loaded.files };
    const removed = change.text.trim() === "";
    if (removed) delete files[change.file];
    else files[change.file] = change.text;
    const { run, sample } = await previewReevaluation(
      ctx,
      c.get("identity").subject,
      files,
      c.req.raw.signal,
    );
    return renderPage(
      c,
      "Policy change preview",
      <PreviewPage file={change.file} removed={removed} run={run} sample={sample} />,
    );
  });

  web.post("/reevaluations", async (c) => {
    await orderReevaluation(ctx, c.get("identity").subject);
    return c.redirect("/console/policies", 303);
  });
}
