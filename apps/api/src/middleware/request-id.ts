import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

const ACCEPTABLE = /^[A-Za-z0-9._-]{1,128}$/;

/** Every response carries `x-request-id`: the caller's own if it is sane, otherwise a fresh one. */
export function requestId(): MiddlewareHandler<ApiEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("x-request-id");
    const id = incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
    c.set("requestId", id);
    c.header("x-request-id", id);
    await next();
  };
}
