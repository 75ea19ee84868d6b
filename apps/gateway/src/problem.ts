import type { ServerResponse } from "node:http";
import { z } from "zod";

/** Why the gateway answered a request itself. Each is a problem `type` (`urn:leash:problem:<reason>`). */
export const Refusal = z.enum([
  "invalid_request",
  "request_timeout",
  "unauthenticated",
  "outside_intent",
  "lease_not_live",
  "unknown_upstream",
  "payload_too_large",
  "headers_too_large",
  "upstream_unreachable",
  "gateway_unavailable",
  "upstream_timeout",
]);
export type Refusal = z.infer<typeof Refusal>;

function refusalStatus(reason: Refusal): number {
  switch (reason) {
    case "invalid_request":
      return 400;
    case "unauthenticated":
      return 401;
    case "outside_intent":
    case "lease_not_live":
      return 403;
    case "unknown_upstream":
      return 404;
    case "request_timeout":
      return 408;
    case "payload_too_large":
      return 413;
    case "headers_too_large":
      return 431;
    case "upstream_unreachable":
      return 502;
    case "gateway_unavailable":
      return 503;
    case "upstream_timeout":
      return 504;
  }
}

const TITLES: Readonly<Record<Refusal, string>> = {
  invalid_request: "Malformed request",
  request_timeout: "Request head not received in time",
  unauthenticated: "Gateway token missing or invalid",
  outside_intent: "Outside the lease's intent",
  lease_not_live: "The lease has ended",
  unknown_upstream: "No such upstream",
  payload_too_large: "Request body too large",
  headers_too_large: "Request head too large",
  upstream_unreachable: "Upstream unreachable",
  gateway_unavailable: "Gateway unavailable",
  upstream_timeout: "Upstream timed out",
};

/** A refusal decided by one step of the pipeline. `detail` never carries a header value, a token or a secret. */
export class GatewayRefusal extends Error {
  override readonly name = "GatewayRefusal";
  readonly status: number;
  constructor(
    readonly reason: Refusal,
    readonly detail: string,
    /** Close the connection after answering (malformed HTTP: nothing more on it can be trusted). */
    readonly close = false,
  ) {
    super(detail);
    this.status = refusalStatus(reason);
  }
}

/** The problem+json body and headers of a refusal, as bytes ready to write (raw sockets included). */
function problemOf(
  refusal: GatewayRefusal,
  requestId: string,
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify({
    type: `urn:leash:problem:${refusal.reason}`,
    title: TITLES[refusal.reason],
    status: refusal.status,
    detail: refusal.detail,
    request_id: requestId,
  });
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "x-leash-gateway": "1",
    "x-request-id": requestId,
  };
  if (refusal.reason === "unauthenticated") headers["www-authenticate"] = 'Bearer error="invalid_token"';
  if (refusal.status === 503) headers["retry-after"] = "1";
  if (refusal.close) headers.connection = "close";
  return { headers, body };
}

/** Answers with the refusal, unless headers already went out (then the response can only be cut). */
export function sendRefusal(res: ServerResponse, refusal: GatewayRefusal, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { headers, body } = problemOf(refusal, requestId);
  // Headers set earlier by a relayed response that never went out are not ours to send.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(refusal.status, headers);
  res.end(body);
  if (refusal.close) res.once("finish", () => res.socket?.destroySoon());
}

/** A refusal written straight to a socket, for errors Node's parser reports before there is a request. */
export function rawProblem(refusal: GatewayRefusal, requestId: string): string {
  const { headers, body } = problemOf(refusal, requestId);
  const lines = Object.entries({ ...headers, connection: "close" }).map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${refusal.status} ${TITLES[refusal.reason]}\r\n${lines.join("\r\n")}\r\n\r\n${body}`;
}
