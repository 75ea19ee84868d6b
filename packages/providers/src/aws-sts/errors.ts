import { LeashError } from "@leash/core";

/** What the SDK's errors carry: `name` is the service's error code (or the exception class for modelled ones). */
interface SdkError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "PriorRequestNotComplete",
]);
const SERVER = new Set([
  "ServiceUnavailable",
  "ServiceFailure",
  "ServiceFailureException",
  "InternalFailure",
  "InternalError",
]);
const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);
const TIMEOUT = new Set(["AbortError", "TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
/** Leash's own credentials were refused or are missing: an outage of Leash's access, not of the request. */
const OWN_CREDENTIALS = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "UnrecognizedClientException",
  "CredentialsProviderError",
]);
const REJECTED = new Set([
  "MalformedPolicyDocument",
  "MalformedPolicyDocumentException",
  "PackedPolicyTooLarge",
  "PackedPolicyTooLargeException",
  "ValidationError",
  "InvalidInput",
  "InvalidInputException",
]);

export function errorCode(error: unknown): string {
  const e = (error ?? {}) as SdkError;
  if (typeof e.code === "string" && NETWORK.has(e.code)) return e.code;
  return typeof e.name === "string" ? e.name : "Error";
}

function statusOf(error: unknown): number | undefined {
  return ((error ?? {}) as SdkError).$metadata?.httpStatusCode;
}

/** Throttling and the service's own failures: worth another attempt after a pause. */
export function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  const status = statusOf(error);
  return THROTTLING.has(code) || SERVER.has(code) || (status !== undefined && status >= 500);
}

/**
 * Maps an STS or IAM failure to Leash's vocabulary, naming the provider and the call. Messages from AWS name
 * ARNs and constraints, never a secret.
 */
export function toLeashError(error: unknown, call: string): LeashError {
  if (error instanceof LeashError) return error;
  const code = errorCode(error);
  const message = ((error ?? {}) as SdkError).message;
  const detail = `aws-sts: ${call} failed: ${code}${typeof message === "string" && message ? `: ${message}` : ""}`;
  const options = { cause: error };
  if (THROTTLING.has(code))
    return new LeashError("provider_unavailable", detail, { ...options, retry: true, retryAfterSeconds: 1 });
  if (code === "RegionDisabledException")
    return new LeashError("provider_unavailable", detail, { ...options, retry: false });
  if (code === "AccessDenied" || code === "AccessDeniedException") {
    return new LeashError("provider_access_denied", detail, options);
  }
  if (REJECTED.has(code)) return new LeashError("provider_rejected", detail, options);
  if (OWN_CREDENTIALS.has(code)) {
    return new LeashError("provider_unavailable", `${detail} (Leash's own AWS credentials)`, {
      ...options,
      retry: true,
    });
  }
  // Timeouts, network failures, 5xx and anything unknown: the outcome is unknown, so try again later.
  const status = statusOf(error);
  const kind = TIMEOUT.has(code)
    ? " (timed out)"
    : NETWORK.has(code)
      ? " (network)"
      : status
        ? ` (HTTP ${status})`
        : "";
  return new LeashError("provider_unavailable", `${detail}${kind}`, { ...options, retry: true });
}
