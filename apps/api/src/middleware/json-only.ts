import { LeashError } from "@leash/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.js";

/** Bodies of write requests must be JSON (the introspection endpoint, which also takes a form, opts out). */
export function jsonOnly(): MiddlewareHandler<ApiEnv> {
  return async function jsonOnlyMiddleware(c, next) {
    const length = c.req.header("content-length");
    const hasBody =
      (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    const type = c.req.header("content-type") ?? "";
    if (hasBody && !/^application\/json\b/i.test(type)) {
      throw new LeashError("unsupported_media_type", "send the body as application/json");
    }
    await next();
  };
}
