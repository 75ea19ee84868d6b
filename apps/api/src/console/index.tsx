import { LeashError } from "@leash/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiContext, RouteRegistrar } from "../context.js";
import type { ConsoleEnv } from "./env.js";
import { consolePolicy, pageHeaders } from "./headers.js";
import { ErrorPage } from "./pages/error.js";
import { renderPage } from "./render.js";
import { LOGIN_PATH, requireSession } from "./require-session.js";
import { registerApprovals } from "./routes/approvals.js";
import { registerAudit } from "./routes/audit.js";
import { registerLogin } from "./routes/login.js";
import { registerPolicies } from "./routes/policies.js";
import { registerRevoke } from "./routes/revoke.js";
import { registerSuspend } from "./routes/suspend.js";
import { registerViews } from "./routes/views.js";
import { sessionCookies } from "./session.js";

function knownError(error: Error): LeashError {
  if (error instanceof LeashError) return error;
  if (error instanceof HTTPException && error.status < 500) {
    return new LeashError(error.status === 413 ? "payload_too_large" : "invalid_request", error.message);
  }
  return new LeashError("internal", "an internal error occurred; quote the request id when reporting it");
}

function consoleApp(ctx: ApiContext): Hono<ConsoleEnv> {
  const cookies = sessionCookies(ctx.publicUrl);
  const web = new Hono<ConsoleEnv>();
  web.use("*", pageHeaders(consolePolicy));
  web.use(
    "*",
    bodyLimit({
      maxSize: ctx.bodyLimitBytes,
      onError: () => {
        throw new LeashError("payload_too_large", `the form exceeds ${ctx.bodyLimitBytes} bytes`);
      },
    }),
  );
  const guard = requireSession(ctx.verifier, cookies, ctx.door);
  web.use("*", (c, next) => (c.req.path === LOGIN_PATH ? next() : guard(c, next)));
  registerLogin(web, ctx, cookies);
  registerViews(web, ctx);
  registerRevoke(web, ctx);
  registerSuspend(web, ctx);
  registerApprovals(web, ctx);
  registerAudit(web, ctx);
  registerPolicies(web, ctx);
  // Errors are pages here, not problem+json: a person reads them.
  web.onError((error, c) => {
    const known = knownError(error);
    if (known.status >= 500) {
      ctx.logger.error(
        { err: error, request_id: c.get("requestId"), code: known.code },
        "console request failed",
      );
    }
    const title = known.code.replaceAll("_", " ");
    return renderPage(
      c,
      title,
      <ErrorPage status={known.status} title={title} detail={known.message} requestId={c.get("requestId")} />,
      known.status as ContentfulStatusCode,
    );
  });
  return web;
}

/**
 * The security team's web console at /console: live leases, exposure, revocation with confirmation and progress,
 * approvals and the audit tail. Server-rendered; the session is the person's own identity token in a cookie.
 */
export const registerConsole: RouteRegistrar = (app, ctx) => {
  app.route("/console", consoleApp(ctx));
};
