import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "@leash/core";
import { type GatewayGrant, methodsFor } from "@leash/providers";
import type { GatewayMetrics, Logger } from "@leash/runtime";
import type { AuditBatcher } from "./audit.js";
import { authenticate, checkLive } from "./authenticate.js";
import { refusalOf } from "./errors.js";
import { auditEventOf, durationMs, type Exchange, startExchange } from "./exchange.js";
import { type ForwardDeps, forward } from "./forward.js";
import { checkHead } from "./http-head.js";
import { checkIntent } from "./intent.js";
import type { LiveLeases, TokenVerifier } from "./ports.js";
import { GatewayRefusal, sendRefusal } from "./problem.js";
import { SecretInBody } from "./redact.js";
import { routeOf } from "./route.js";
import type { Upstream } from "./upstreams.js";

export interface HandlerDeps extends ForwardDeps {
  upstreams: ReadonlyMap<string, Upstream>;
  verifier: TokenVerifier;
  leases: LiveLeases;
  audit: AuditBatcher;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
}

/** Ends the exchange: metrics, and its audit event handed to the batcher (never awaited on the request path). */
export function finish(x: Exchange, deps: Pick<HandlerDeps, "metrics" | "audit">): void {
  const upstream = x.upstream ?? "-";
  const { metrics } = deps;
  metrics.duration.observe({ upstream }, durationMs(x) / 1000);
  metrics.requests.inc({ upstream, outcome: x.outcome });
  if (x.bytesIn > 0) metrics.bytes.inc({ upstream, direction: "in" }, x.bytesIn);
  if (x.bytesOut > 0) metrics.bytes.inc({ upstream, direction: "out" }, x.bytesOut);
  if (x.outcome === "refused" && x.reason) metrics.refusals.inc({ reason: x.reason });
  if (x.outcome === "cut" && x.reason) metrics.cuts.inc({ reason: x.reason });
  if (!deps.audit.offer(auditEventOf(x))) metrics.auditOverflow.inc();
}

/**
 * The methods the token lists that the upstream's configuration, as this gateway runs it, still allows for the
 * action: a token minted before `methods` were narrowed (or an action turned off) does not outlive the change.
 */
function allowedMethods(grant: GatewayGrant, upstream: Upstream): readonly string[] {
  const configured = methodsFor(upstream.config, grant.action);
  return grant.methods.filter((m) => configured.includes(m));
}

async function run(req: IncomingMessage, res: ServerResponse, x: Exchange, deps: HandlerDeps): Promise<void> {
  checkHead(req);
  const route = routeOf(req.url ?? "", (name) => deps.upstreams.has(name));
  const upstream = deps.upstreams.get(route.upstream);
  if (!upstream) throw new GatewayRefusal("unknown_upstream", "no upstream of that name is configured");
  x.upstream = route.upstream;
  x.path = route.rawPath.slice(0, 2048);
  const grant = await authenticate(req, route.upstream, deps.verifier);
  x.grant = grant;
  checkLive(grant, deps.leases, deps.clock.now());
  if (!deps.audit.accepting())
    throw new GatewayRefusal("gateway_unavailable", "the audit log is not keeping up");
  const checked = checkIntent(
    { method: req.method ?? "", rawPath: route.rawPath, rawQuery: route.rawQuery, s3: upstream.s3 },
    { action: grant.action, resource: grant.resource, methods: allowedMethods(grant, upstream) },
  );
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > deps.maxBodyBytes)
    throw new GatewayRefusal("payload_too_large", `body: more than ${deps.maxBodyBytes} bytes`);
  await forward(req, res, x, { upstream, route, checked, grant }, deps);
}

/** Settles a failed exchange: a refusal if nothing was sent yet, else the response is broken off. */
function settle(
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  x: Exchange,
  deps: HandlerDeps,
): void {
  if (error instanceof SecretInBody) {
    x.outcome = "cut";
    x.reason = "secret_in_body";
    deps.logger.warn(
      { request_id: x.requestId, upstream: x.upstream, lease_id: x.grant?.leaseId },
      error.message,
    );
    res.destroy();
    return;
  }
  const refusal = refusalOf(error);
  if (!refusal) {
    if (res.destroyed || res.writableEnded) {
      // The agent went away: nothing left to answer.
      x.outcome = "failed";
      x.reason ??= "client_closed";
      return;
    }
    deps.logger.error(
      { request_id: x.requestId, error: (error as Error)?.message },
      "gateway request failed",
    );
  } else if (refusal.status >= 500 && !(error instanceof GatewayRefusal)) {
    deps.logger.warn(
      { request_id: x.requestId, upstream: x.upstream, error: (error as Error)?.message },
      refusal.detail,
    );
  }
  let answer = refusal ?? new GatewayRefusal("gateway_unavailable", "the request could not be completed");
  // A refused request's unread body is not read to the end to keep the connection: the connection goes instead.
  if (!req.complete && !answer.close) answer = new GatewayRefusal(answer.reason, answer.detail, true);
  x.outcome = res.headersSent ? "cut" : "refused";
  x.reason = answer.reason;
  if (!res.headersSent) x.status = answer.status;
  sendRefusal(res, answer, x.requestId);
}

/** The pipeline: head, route, token, liveness, intent, then forwarding. Every step refuses by throwing. */
export function gatewayHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const failed = (error: unknown) =>
    deps.logger.error({ error: (error as Error)?.message }, "gateway bookkeeping failed");
  return (req, res) => {
    const x = startExchange(req);
    // Recorded once the response is over and the pipeline has said how it ended, whichever comes last: a count
    // rather than a promise per request (this runs for every request).
    let waiting = 2;
    const done = () => {
      if (--waiting > 0) return;
      try {
        finish(x, deps);
      } catch (error) {
        failed(error);
      }
    };
    res.once("close", done);
    run(req, res, x, deps)
      .catch((error: unknown) => settle(error, req, res, x, deps))
      .then(done, failed);
  };
}
