import { LeashError } from "@leash/core";

/** What a failed call looked like, stripped of everything that could carry a secret (headers, bodies, config). */
export interface VaultFailure {
  /** HTTP status when Vault answered. */
  status?: number;
  /** Vault's first error message (`errors[0]`), when it answered. */
  message?: string;
  /** Node/axios error code when it did not (ECONNREFUSED, ECONNABORTED, ...). */
  code?: string;
}

const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ECONNABORTED: "timed out",
  ETIMEDOUT: "timed out",
  ERR_CANCELED: "aborted",
  ABORT_ERR: "aborted",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  EHOSTUNREACH: "host unreachable",
  EPIPE: "connection closed",
};

/** Vault wraps messages in go-multierror ("1 error occurred:\n\t* permission denied\n\n"); keep the inner lines. */
export function vaultMessage(message: string): string {
  const items = [...message.matchAll(/^\t\* (.+)$/gm)].map((m) => m[1]);
  const text = items.length > 0 ? items.join("; ") : message.trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Reads only status, message and code from whatever node-vault or axios threw. */
export function describeFailure(error: unknown): VaultFailure {
  if (typeof error !== "object" || error === null) return {};
  const e = error as { response?: { statusCode?: unknown }; message?: unknown; code?: unknown };
  const status = typeof e.response?.statusCode === "number" ? e.response.statusCode : undefined;
  const code = typeof e.code === "string" ? e.code : undefined;
  const failure: VaultFailure = {};
  if (status !== undefined) {
    failure.status = status;
    if (typeof e.message === "string") failure.message = vaultMessage(e.message);
  }
  if (code !== undefined) failure.code = code;
  return failure;
}

/**
 * Maps a failed Vault call to Leash's vocabulary, naming the provider and the call but never a token: 403 is
 * access denied, other 4xx are rejections, and 412/429/5xx, timeouts and network failures are outages to retry.
 */
export function toLeashError(call: string, failure: VaultFailure): LeashError {
  const { status, message, code } = failure;
  if (status === undefined) {
    const words = (code && NETWORK_WORDS[code]) ?? (code ? `network error ${code}` : "request failed");
    return new LeashError("provider_unavailable", `vault ${call}: ${words}`, { retry: true });
  }
  const detail = `vault ${call}: ${message ?? `status ${status}`}`;
  if (status === 403) return new LeashError("provider_access_denied", detail, { retry: false });
  if (status === 412 || status === 429 || status >= 500) {
    return new LeashError("provider_unavailable", detail, {
      retry: true,
      ...(status === 429 ? { retryAfterSeconds: 1 } : {}),
    });
  }
  return new LeashError("provider_rejected", detail, { retry: false });
}
