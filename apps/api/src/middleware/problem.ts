import { LeashError, problemType } from "@leash/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { ApiEnv } from "../env.js";

const TITLES: Record<string, string> = {
  invalid_request: "Invalid request",
  malformed_json: "Malformed JSON",
  unsupported_media_type: "Unsupported media type",
  payload_too_large: "Payload too large",
  unauthenticated: "Unauthenticated",
  forbidden: "Forbidden",
  ceiling_exceeded: "Outside the task ceiling",
  policy_denied: "Denied by policy",
  not_found: "Not found",
  conflict: "Conflict",
  task_not_active: "Task not active",
  idempotency_conflict: "Idempotency conflict",
  rate_limited: "Too many requests",
  quota_exceeded: "Quota exceeded",
  unknown_target: "Unknown target",
  provider_rejected: "Provider rejected the request",
  provider_access_denied: "Provider denied access",
  provider_unavailable: "Provider unavailable",
  store_unavailable: "Lease store unavailable",
  not_ready: "Not ready",
  internal: "Internal error",
};

/**
 * The characters RFC 6750 §3 allows in `error_description` (printable ASCII but `"` and `\`). The message may
 * quote the caller's token (its `iss`, `kid`, `alg`); anything else there would make the header invalid, and the
 * response a 500.
 */
function headerSafe(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?");
}

/** The RFC 9457 body of a typed error (also what /mcp's tools return as an isError result). */
export function problemBody(error: LeashError, requestId: string | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: problemType(error.code),
    title: TITLES[error.code] ?? error.code,
    status: error.status,
    detail: error.message,
    request_id: requestId,
  };
  if (error.reasons) body.reasons = error.reasons;
  // After the standard members, so an extension can never replace one of them.
  for (const [name, value] of Object.entries(error.extensions ?? {})) if (!(name in body)) body[name] = value;
  return body;
}

/** RFC 9457 problem+json, with the request id so a person can find the log line. */
function problem(c: Context<ApiEnv>, error: LeashError): Response {
  const body = problemBody(error, c.get("requestId"));
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    "x-request-id": c.get("requestId") ?? "",
  };
  if (error.code === "unauthenticated") {
    headers["www-authenticate"] =
      `Bearer error="invalid_token", error_description="${headerSafe(error.message)}"`;
  }
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

function fromHttpException(error: HTTPException): LeashError {
  if (error.status === 413)
    return new LeashError("payload_too_large", "the request body is larger than allowed");
  if (error.status === 400 && /json/i.test(error.message)) {
    return new LeashError("malformed_json", "the request body is not valid JSON");
  }
  if (error.status === 415)
    return new LeashError("unsupported_media_type", "send the body as application/json");
  if (error.status === 401) return new LeashError("unauthenticated", error.message);
  return new LeashError(error.status >= 500 ? "internal" : "invalid_request", error.message || "bad request");
}

/** The one onError: typed errors become problems; anything unknown is logged with its stack and hidden. */
export function errorHandler(logger: Logger) {
  return function onError(error: Error, c: Context<ApiEnv>): Response {
    const known =
      error instanceof LeashError
        ? error
        : error instanceof HTTPException
          ? fromHttpException(error)
          : new LeashError("internal", "an internal error occurred; quote the request id when reporting it");
    if (known.status >= 500) {
      logger.error({ err: error, request_id: c.get("requestId"), code: known.code }, "request failed");
    }
    return problem(c, known);
  };
}

export function notFound(c: Context<ApiEnv>): Response {
  return problem(
    c,
    new LeashError("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`),
  );
}
