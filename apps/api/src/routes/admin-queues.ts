import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { LeashError } from "@leash/core";
import { QUEUES } from "@leash/queue";
import { Queue } from "bullmq";
import type { MiddlewareHandler } from "hono";
import { DASHBOARD_POLICY, pageHeaders } from "../console/headers.js";
import { LOGIN_PATH } from "../console/require-session.js";
import { readSessionToken, securityIdentity, sessionCookies } from "../console/session.js";
import type { ApiContext, RouteRegistrar } from "../context.js";

const ADMIN_QUEUES_PATH = "/admin/queues";

/**
 * The security role only, by the console's session cookie or a bearer token. The board is read-only, so only GET
 * and HEAD pass: there is no state-changing request here, hence nothing for a CSRF token to protect.
 */
function queueGuard(ctx: ApiContext): MiddlewareHandler {
  const cookies = sessionCookies(ctx.publicUrl);
  return async function queueGuardMiddleware(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      throw new LeashError("forbidden", "the queue dashboard is read-only");
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const token = bearer ?? readSessionToken(c, cookies);
    if (!token) return c.redirect(LOGIN_PATH, 303);
    try {
      await securityIdentity(ctx.verifier, token);
    } catch (error) {
      // A browser whose session ran out signs in again; an API caller gets the problem.
      if (!bearer && error instanceof LeashError && error.code === "unauthenticated") {
        return c.redirect(LOGIN_PATH, 303);
      }
      throw error;
    }
    await next();
  };
}

/** A `<link>` (stylesheet, font, preconnect) to an absolute or protocol-relative URL: another origin. */
const OFF_ORIGIN_LINK = /<link\b[^>]*\bhref\s*=\s*["'](?:[a-z][a-z0-9+.-]*:)?\/\/[^"']*["'][^>]*>\s*/gi;

/** The page without its off-origin links; everything else it loads is a file of this origin. */
function withoutOffOriginLinks(html: string): string {
  return html.replace(OFF_ORIGIN_LINK, "");
}

/**
 * bull-board's page asks Google Fonts for its typeface. The dashboard's CSP (`default-src 'self'`) blocks it
 * anyway, and a security tool should not tell a third party whenever someone opens it: the link is dropped from the
 * served HTML, and the page's CSS falls back to the system fonts it names after the web font.
 */
function sameOriginPage(): MiddlewareHandler {
  return async function sameOriginPageMiddleware(c, next) {
    await next();
    if (!c.res.headers.get("content-type")?.startsWith("text/html")) return;
    const headers = new Headers(c.res.headers);
    headers.delete("content-length");
    c.res = new Response(withoutOffOriginLinks(await c.res.text()), { status: c.res.status, headers });
  };
}

/**
 * BullMQ's dashboard for the API's queues, read-only: retrying or deleting a revocation job by hand could drop a
 * revocation, which Leash never does. The Queue objects share the API's Redis connection (BullMQ does not close a
 * connection it was given), so the board adds no connection to close.
 */
export const registerAdminQueues: RouteRegistrar = (app, ctx) => {
  const { connection, prefix } = ctx.store.queueConnection();
  const queues = Object.values(QUEUES).map(
    (name) => new BullMQAdapter(new Queue(name, { connection, prefix }), { readOnlyMode: true }),
  );
  const board = new HonoAdapter(serveStatic).setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues,
    // @bull-board/hono 9.10.1 pins @bull-board/api 9.10.1 while this app has 9.10.2: same interface, two copies
    // of its declarations (a private field makes them nominal). Pin @bull-board/api to the adapter's version to drop this.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
    options: {
      uiConfig: {
        boardTitle: "Leash queues",
        hideDocsLink: true,
        miscLinks: [{ text: "Console", url: "/console" }],
      },
    },
  });
  const guard = queueGuard(ctx);
  const headers = pageHeaders(() => DASHBOARD_POLICY);
  const sameOrigin = sameOriginPage();
  for (const path of [ADMIN_QUEUES_PATH, `${ADMIN_QUEUES_PATH}/*`]) {
    app.use(path, headers, guard, sameOrigin);
  }
  app.route(ADMIN_QUEUES_PATH, board.registerPlugin());
};
