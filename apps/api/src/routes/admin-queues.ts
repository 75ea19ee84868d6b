import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { LeashError } from "@leash/core";
import { QUEUES } from "@leash/queue";
import type { QueueConnection } from "@leash/store";
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

/** Groups a shard's queues under it in the board's menu: `shard-3:revoke` is `revoke` under `shard-3`. */
const SHARD_DELIMITER = ":";

/**
 * Every shard's queues, read-only: retrying or deleting a revocation job by hand could drop a revocation, which
 * Leash never does. With one shard the queues keep the names they always had. With several, every shard has the
 * same four, and bull-board keys a queue by its name (a second `revoke` would replace the first), so each is named
 * after its shard too (shard 0's as well: a bare `revoke` would read as the only one) and labelled with it, and
 * says where its keys are, for an operator who goes on to look at them in Redis.
 */
function shardQueues(shards: readonly QueueConnection[]): BullMQAdapter[] {
  return shards.flatMap(({ connection, prefix }, shard) =>
    Object.values(QUEUES).map((name) => {
      const queue = new Queue(name, { connection, prefix });
      if (shards.length === 1) return new BullMQAdapter(queue, { readOnlyMode: true });
      return new BullMQAdapter(queue, {
        readOnlyMode: true,
        // bull-board's `prefix` is of the name it shows and routes by; the keys' prefix is the Queue's, above.
        prefix: `shard-${shard}${SHARD_DELIMITER}`,
        delimiter: SHARD_DELIMITER,
        displayName: `${name} (shard ${shard})`,
        description: `shard ${shard} of ${shards.length}; BullMQ keys under ${prefix}`,
      });
    }),
  );
}

/**
 * BullMQ's dashboard for every shard's queues. The shards are the ones the API started with, which is all of them:
 * shards added later make the API exit (75) to be started again. The Queue objects share the API's Redis connection
 * (BullMQ does not close a connection it was given), so the board adds no connection to close.
 */
export const registerAdminQueues: RouteRegistrar = (app, ctx) => {
  const queues = shardQueues(ctx.queueShards);
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
