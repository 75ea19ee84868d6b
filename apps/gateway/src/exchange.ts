import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuditEvent } from "@leash/core";
import type { GatewayGrant } from "@leash/providers";

/** How an exchange ended: relayed (whatever the upstream's status), refused by the gateway, cut, or failed. */
type Outcome = "relayed" | "refused" | "cut" | "failed";

/** What is known of one request as it goes through the pipeline: the audit event and the metrics come from it. */
export interface Exchange {
  requestId: string;
  started: number;
  method: string;
  /** P (under `/u/<upstream>/`) once routed, else the request's path; never the query. */
  path: string;
  upstream: string | undefined;
  grant: GatewayGrant | undefined;
  status: number;
  outcome: Outcome;
  /** Why it was refused, cut or failed. */
  reason: string | undefined;
  bytesIn: number;
  bytesOut: number;
}

const MAX_PATH = 2048;

export function startExchange(req: IncomingMessage): Exchange {
  const target = req.url ?? "";
  const q = target.indexOf("?");
  return {
    requestId: randomUUID(),
    started: performance.now(),
    method: req.method ?? "",
    path: (q < 0 ? target : target.slice(0, q)).slice(0, MAX_PATH),
    upstream: undefined,
    grant: undefined,
    status: 0,
    outcome: "relayed",
    reason: undefined,
    bytesIn: 0,
    bytesOut: 0,
  };
}

export function durationMs(x: Exchange): number {
  return performance.now() - x.started;
}

/** One `gateway.request` event: who, what, how it ended and how much; never header or query values, never bodies. */
export function auditEventOf(x: Exchange): AuditEvent {
  const g = x.grant;
  return {
    type: "gateway.request",
    actor: g?.agent ?? null,
    ...(g ? { agent: g.agent, taskId: g.taskId, leaseId: g.leaseId } : {}),
    outcome: x.outcome === "relayed" ? "ok" : x.outcome === "refused" ? "denied" : "failed",
    detail: {
      upstream: x.upstream ?? null,
      method: x.method,
      path: x.path,
      status: x.status,
      ...(x.reason === undefined ? {} : { reason: x.reason }),
      bytes_in: x.bytesIn,
      bytes_out: x.bytesOut,
      duration_ms: Math.round(durationMs(x) * 1000) / 1000,
    },
  };
}
