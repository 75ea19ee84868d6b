import { LeashError, OAuthError, oauthErrorOf } from "@leash/core";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { ApiEnv } from "../env.js";

/** RFC 6749 §5.1: answers of the token endpoint (and its siblings) are never cached. */
export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof LeashError) return oauthErrorOf(error, "invalid_client");
  if (error instanceof HTTPException) {
    return error.status === 413
      ? new OAuthError("invalid_request", "the request body is larger than allowed", { status: 413 })
      : new OAuthError("invalid_request", "the request is malformed");
  }
  return new OAuthError("server_error", "an internal error occurred; quote the request id when reporting it");
}

/** An RFC 6749 §5.2 error body, `no-store`, with the request id as every other answer has it. */
function oauthErrorResponse(c: Context<ApiEnv>, error: OAuthError): Response {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-request-id": c.get("requestId") ?? "",
    ...NO_STORE,
  };
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
  // RFC 6749 §5.2: a client that authenticated with the Authorization header is told the scheme to use.
  if (error.status === 401 && c.req.header("authorization"))
    headers["www-authenticate"] = 'Bearer realm="leash"';
  return new Response(JSON.stringify(error.body()), { status: error.status, headers });
}

/**
 * Runs an OAuth endpoint's handler: whatever it throws is answered as RFC 6749 JSON, never as problem+json. The
 * route's typed answer is its success; the error answers are the plain Responses its OpenAPI entry lists as well.
 */
export function oauthHandler<T extends Context<ApiEnv>, R>(logger: Logger, handle: (c: T) => Promise<R>) {
  return async (c: T): Promise<R> => {
    try {
      return await handle(c);
    } catch (error) {
      const oauth = toOAuthError(error);
      if (oauth.status >= 500)
        logger.error({ err: error, request_id: c.get("requestId"), code: oauth.code }, "request failed");
      return oauthErrorResponse(c, oauth) as R;
    }
  };
}

/**
 * What the middleware in front of an OAuth endpoint refuses (a body over the limit, a form that fails validation)
 * was answered as problem+json by the app's error handler: OAuth clients get it as RFC 6749 JSON instead.
 */
export function oauthErrors(): MiddlewareHandler<ApiEnv> {
  return async function oauthErrorsMiddleware(c, next) {
    await next();
    if (c.error === undefined) return;
    const response = oauthErrorResponse(c, toOAuthError(c.error));
    c.res = undefined;
    c.res = response;
  };
}

/**
 * Whatever no OAuth route answers under `/oauth/` (another method, another path): RFC 6749 JSON as well, `405`
 * with `Allow` for a known endpoint, `404` otherwise, so a client never gets problem+json there.
 */
export function oauthFallback(allowed: Readonly<Record<string, readonly string[]>>) {
  return (c: Context<ApiEnv>): Response => {
    const methods = allowed[c.req.path];
    if (methods === undefined)
      return oauthErrorResponse(c, new OAuthError("invalid_request", "no such endpoint", { status: 404 }));
    const response = oauthErrorResponse(
      c,
      new OAuthError("invalid_request", `this endpoint answers ${methods.join(", ")} only`, { status: 405 }),
    );
    response.headers.set("allow", methods.join(", "));
    return response;
  };
}
