import { z } from "zod";

/** The one vocabulary of failures. The API renders each as problem+json with `type` = `urn:leash:problem:<code>`. */
export const ErrorCode = z.enum([
  "invalid_request",
  "malformed_json",
  "unsupported_media_type",
  "payload_too_large",
  "unauthenticated",
  "forbidden",
  "agent_suspended",
  "ceiling_exceeded",
  "policy_denied",
  "not_found",
  "conflict",
  "task_not_active",
  "idempotency_conflict",
  "rate_limited",
  "quota_exceeded",
  "unknown_target",
  "provider_rejected",
  "provider_access_denied",
  "provider_unavailable",
  "store_unavailable",
  "not_ready",
  "internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export function statusFor(code: ErrorCode): number {
  switch (code) {
    case "invalid_request":
    case "malformed_json":
    case "unknown_target":
    case "provider_rejected":
      return 400;
    case "unauthenticated":
      return 401;
    case "forbidden":
    case "agent_suspended":
    case "ceiling_exceeded":
    case "policy_denied":
    case "provider_access_denied":
      return 403;
    case "not_found":
      return 404;
    case "conflict":
    case "task_not_active":
    case "idempotency_conflict":
      return 409;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "rate_limited":
    case "quota_exceeded":
      return 429;
    case "internal":
      return 500;
    case "provider_unavailable":
    case "store_unavailable":
    case "not_ready":
      return 503;
  }
}

const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  "provider_unavailable",
  "store_unavailable",
  "rate_limited",
]);

export function problemType(code: ErrorCode): string {
  return `urn:leash:problem:${code}`;
}

export interface LeashErrorOptions {
  /** Whether repeating the same operation later may succeed (workers back off instead of giving up). */
  retry?: boolean;
  /** Policy or validation reasons shown to the caller. Never secret. */
  reasons?: string[];
  cause?: unknown;
  /** Seconds after which a retry makes sense (429 / 503). */
  retryAfterSeconds?: number;
  /** Members the problem body adds for this code (e.g. the quota a `quota_exceeded` names). Never secret. */
  extensions?: Readonly<Record<string, string | number>>;
}

export class LeashError extends Error {
  override readonly name = "LeashError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly retry: boolean;
  readonly reasons: string[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly extensions: Readonly<Record<string, string | number>> | undefined;

  constructor(code: ErrorCode, detail: string, options: LeashErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = statusFor(code);
    this.retry = options.retry ?? RETRYABLE.has(code);
    this.reasons = options.reasons;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions;
  }
}

export function isLeashError(error: unknown): error is LeashError {
  return error instanceof LeashError;
}
