import type { Problem } from "./types.js";

const PROBLEM_PREFIX = "urn:leash:problem:";

/** The API answered with an error: the problem+json fields, plus the Leash error code taken from `type`. */
export class LeashApiError extends Error {
  override readonly name = "LeashApiError";
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly reasons: string[] | undefined;
  readonly request_id: string | undefined;
  /** `policy_denied`, `not_found`, ... when `type` is a Leash problem type; undefined otherwise. */
  readonly code: string | undefined;
  /** Seconds from the `Retry-After` header, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    problem: Problem,
    extra: { requestId?: string | undefined; retryAfterSeconds?: number | undefined } = {},
  ) {
    const type = problem.type ?? "about:blank";
    const title = problem.title ?? `HTTP ${status}`;
    const detail = problem.detail ?? "";
    const requestId = problem.request_id ?? extra.requestId;
    super(`${title}${detail ? `: ${detail}` : ""} (${status}${requestId ? `, request ${requestId}` : ""})`);
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.reasons = problem.reasons;
    this.request_id = requestId;
    this.code = type.startsWith(PROBLEM_PREFIX) ? type.slice(PROBLEM_PREFIX.length) : undefined;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

/** No usable answer: the API was unreachable or timed out on every attempt, or answered with a body we cannot read. */
export class LeashConnectionError extends Error {
  override readonly name = "LeashConnectionError";
  readonly attempts: number;

  constructor(message: string, attempts: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.attempts = attempts;
  }
}

export function isLeashApiError(error: unknown): error is LeashApiError {
  return error instanceof LeashApiError;
}
