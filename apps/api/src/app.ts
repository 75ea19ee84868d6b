import { OpenAPIHono } from "@hono/zod-openapi";
import { registerConsole } from "./console/index.js";
import type { ApiContext } from "./context.js";
import type { ApiEnv } from "./env.js";
import { accessLog } from "./middleware/access-log.js";
import { cappedBody } from "./middleware/body.js";
import { identity } from "./middleware/identity.js";
import { jsonOnly } from "./middleware/json-only.js";
import { errorHandler, notFound } from "./middleware/problem.js";
import { rateLimit } from "./middleware/rate-limit.js";
import { requestId } from "./middleware/request-id.js";
import { refuseSuspended } from "./middleware/suspended.js";
import { validationHook } from "./middleware/validation.js";
import { registerAdminQueues } from "./routes/admin-queues.js";
import { registerExposure } from "./routes/agents.exposure.js";
import { registerAgentsSuspend } from "./routes/agents.suspend.js";
import { registerApprovals } from "./routes/approvals.js";
import { registerAudit } from "./routes/audit.js";
import { registerBreakGlass } from "./routes/break-glass.js";
import { registerDocs } from "./routes/docs.js";
import { registerHealth } from "./routes/health.js";
import { registerIntrospect } from "./routes/introspect.js";
import { registerJwks } from "./routes/jwks.js";
import { registerLeasesCreate } from "./routes/leases.create.js";
import { registerLeasesGet } from "./routes/leases.get.js";
import { registerLeasesList } from "./routes/leases.list.js";
import { registerMcp } from "./routes/mcp.js";
import { registerMetrics } from "./routes/metrics.js";
import { registerOAuth } from "./routes/oauth.js";
import { registerReevaluations } from "./routes/reevaluations.js";
import { registerRevocations } from "./routes/revocations.js";
import { registerTasksCreate } from "./routes/tasks.create.js";
import { registerTasksEnd } from "./routes/tasks.end.js";
import { registerTasksGet } from "./routes/tasks.get.js";
import { registerTasksPatch } from "./routes/tasks.patch.js";

const ROUTES = [
  registerHealth,
  registerJwks,
  registerTasksCreate,
  registerTasksGet,
  registerTasksEnd,
  registerTasksPatch,
  registerLeasesCreate,
  registerLeasesGet,
  registerLeasesList,
  registerRevocations,
  registerReevaluations,
  registerIntrospect,
  registerExposure,
  registerAgentsSuspend,
  registerAudit,
  registerApprovals,
  registerBreakGlass,
  registerMetrics,
  registerMcp,
  registerOAuth,
  registerConsole,
  registerAdminQueues,
];

export function createApp(ctx: ApiContext): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    // Validation failures become one invalid_request problem naming every issue by where it is (query, path, ...).
    defaultHook: validationHook,
  });
  app.use("*", requestId());
  app.use("*", accessLog(ctx.logger));
  app.use("/v1/*", cappedBody(ctx.bodyLimitBytes));
  app.use("/v1/*", async (c, next) => (c.req.path === "/v1/introspect" ? next() : jsonOnly()(c, next)));
  app.use(
    "/v1/*",
    identity(ctx.verifier, (reason) => {
      ctx.audit
        .append({ type: "identity.rejected", actor: null, outcome: "denied", detail: { reason } })
        .catch(() => {});
    }),
  );
  app.use("/v1/*", refuseSuspended(ctx.door));
  app.use("/v1/*", rateLimit(ctx.rateLimit));
  for (const register of ROUTES) register(app, ctx);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT (SPIFFE JWT-SVID or OIDC)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Leash", version: "1.0.0", description: "Just-in-time credentials for AI agents." },
  });
  registerDocs(app, ctx);
  app.notFound(notFound);
  app.onError(errorHandler(ctx.logger));
  return app;
}
