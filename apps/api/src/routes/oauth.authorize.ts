import { createRoute } from "@hono/zod-openapi";
import { NO_STORE } from "../oauth/errors.js";
import { OAuthErrorBody } from "../oauth/schemas.js";
import type { OAuthRegistrar } from "./oauth.js";

const BODY = {
  error: "unsupported_response_type",
  error_description: "Leash issues tokens at the token endpoint only (token exchange, client credentials)",
};

const routeFor = (method: "get" | "post") =>
  createRoute({
    method,
    path: "/oauth/authorize",
    tags: ["oauth"],
    description:
      "Listed in the metadata because MCP clients require an authorization endpoint; there is no user-facing flow, so it always answers `400 unsupported_response_type`.",
    responses: {
      400: { description: "Always", content: { "application/json": { schema: OAuthErrorBody } } },
    },
  });

export const registerOAuthAuthorize: OAuthRegistrar = (app) => {
  for (const method of ["get", "post"] as const)
    app.openapi(routeFor(method), (c) => c.json(BODY, 400, NO_STORE));
};
