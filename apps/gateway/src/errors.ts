import { isLeashError } from "@leash/core";
import { GatewayRefusal } from "./problem.js";

const TIMEOUTS = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
  "UND_ERR_INFO",
  "ERR_INVALID_CHAR",
  "ERR_INVALID_HTTP_TOKEN",
  "HPE_INVALID_CONSTANT",
]);
const AGENT_FAULTS = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
]);

function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What the agent is told when forwarding fails. The detail names the kind of failure only: an upstream's or
 * provider's message could quote a request, so it goes to the log (without secrets), never to the agent.
 */
export function refusalOf(error: unknown): GatewayRefusal | undefined {
  if (error instanceof GatewayRefusal) return error;
  if (isLeashError(error)) {
    return new GatewayRefusal("gateway_unavailable", "the upstream's credential could not be obtained");
  }
  const code = codeOf(error);
  if (code === undefined) return undefined;
  if (TIMEOUTS.has(code))
    return new GatewayRefusal("upstream_timeout", "the upstream did not answer in time");
  if (UNREACHABLE.has(code))
    return new GatewayRefusal("upstream_unreachable", "the upstream could not be reached");
  if (AGENT_FAULTS.has(code))
    return new GatewayRefusal("invalid_request", "the request cannot be forwarded as sent");
  return undefined;
}
