import type { Hono } from "hono";
import { z } from "zod";
import type { ApiContext } from "../../context.js";
import type { ConsoleEnv } from "../env.js";
import { AuditPage } from "../pages/audit.js";
import { renderPage } from "../render.js";
import { optional, parseWith, Text } from "./query.js";

const SHOWN = 100;
/** A type filter looks this far back, so a rare type cannot make one page read the whole log. */
const WINDOW = 2000;

export function registerAudit(web: Hono<ConsoleEnv>, ctx: ApiContext) {
  web.get("/audit", async (c) => {
    const { type } = parseWith(z.object({ type: optional(Text) }), c.req.query());
    const latest = await ctx.audit.tail(type ? WINDOW : SHOWN);
    const events = (type ? latest.filter((e) => e.type === type) : latest).slice(0, SHOWN);
    return renderPage(c, "Audit", <AuditPage events={events} type={type} />);
  });
}
