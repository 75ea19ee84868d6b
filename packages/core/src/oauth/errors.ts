import type { LeashError } from "../errors.js";

/** RFC 6749 §5.2 error codes, with those of RFC 8693 (`invalid_target`), RFC 9396 and RFC 9449 the token endpoint uses. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_target"
  | "invalid_authorization_details"
  | "invalid_dpop_proof"
  | "access_denied"
  | "temporarily_unavailable"
  | "server_error";

export interface OAuthErrorOptions {
  /** Defaults: 401 for `invalid_client`, 500 `server_error`, 503 `temporarily_unavailable`, 400 otherwise. */
  status?: number;
  retryAfterSeconds?: number;
  /** Members added to the JSON body (an approval's id, the quota that refused). Never secret. */
  extensions?: Readonly<Record<string, string | number>>;
  cause?: unknown;
}

function defaultStatus(code: OAuthErrorCode): number {
  if (code === "invalid_client") return 401;
  if (code === "server_error") return 500;
  if (code === "temporarily_unavailable") return 503;
  return 400;
}

/**
 * RFC 6749 §5.2 allows `error_description` only printable ASCII without `"` and `\`: what a message may quote of the
 * caller's input (a resource, an issuer) is replaced rather than let through.
 */
function describable(text: string): string {
  const safe = text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?");
  return safe.length > 400 ? `${safe.slice(0, 400)}...` : safe;
}

/** A refusal of the OAuth endpoints, rendered as RFC 6749 §5.2 JSON (not problem+json: OAuth clients parse these). */
export class OAuthError extends Error {
  override readonly name = "OAuthError";
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly description: string;
  readonly retryAfterSeconds: number | undefined;
  readonly extensions: Readonly<Record<string, string | number>> | undefined;

  constructor(code: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? defaultStatus(code);
    this.description = describable(description);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions;
  }

  /** The response body: `error`, `error_description`, then extensions (which never replace either). */
  body(): Record<string, string | number> {
    const body: Record<string, string | number> = { error: this.code, error_description: this.description };
    for (const [name, value] of Object.entries(this.extensions ?? {}))
      if (!(name in body)) body[name] = value;
    return body;
  }
}

function described(error: LeashError): string {
  return error.reasons?.length ? `${error.message}: ${error.reasons.join("; ")}` : error.message;
}

/**
 * What a Leash refusal is to an OAuth client. `unauthenticated` is the caller's credential: a bad subject or actor
 * token is `invalid_grant`, a bad client assertion `invalid_client`, as the caller says.
 */
export function oauthErrorOf(
  error: LeashError,
  unauthenticated: "invalid_grant" | "invalid_client",
): OAuthError {
  const d = described(error);
  const retry = { retryAfterSeconds: error.retryAfterSeconds ?? 1 };
  switch (error.code) {
    case "unauthenticated":
      return new OAuthError(unauthenticated, d);
    case "not_found":
    case "task_not_active":
      return new OAuthError("invalid_grant", d);
    case "forbidden":
    case "agent_suspended":
    case "ceiling_exceeded":
    case "policy_denied":
    case "provider_access_denied":
      return new OAuthError("access_denied", d);
    case "quota_exceeded":
      return new OAuthError("access_denied", d, { status: 429, ...retry, extensions: error.extensions });
    case "rate_limited":
      return new OAuthError("temporarily_unavailable", d, { status: 429, ...retry });
    case "unknown_target":
    case "provider_rejected":
      return new OAuthError("invalid_target", d);
    case "payload_too_large":
      return new OAuthError("invalid_request", d, { status: 413 });
    case "provider_unavailable":
    case "store_unavailable":
    case "not_ready":
      return new OAuthError("temporarily_unavailable", d, retry);
    case "internal":
      return new OAuthError("server_error", "an internal error occurred", { cause: error });
    default:
      return new OAuthError("invalid_request", d);
  }
}
