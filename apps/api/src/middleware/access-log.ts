import type { Logger } from "@leash/runtime";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

const QUIET = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * One structured line per request: request id, caller, method, path, status and duration. Headers, query strings
 * and bodies are never logged (they carry tokens); probes and scrapes log at debug only.
 */
export function accessLog(logger: Logger): MiddlewareHandler<ApiEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const path = c.req.path;
      const entry = {
        request_id: c.get("requestId"),
        caller: c.get("identity")?.subject,
        method: c.req.method,
        path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      if (QUIET.has(path)) logger.debug(entry, "request");
      else if (c.res.status >= 500) logger.warn(entry, "request");
      else logger.info(entry, "request");
    }
  };
}
