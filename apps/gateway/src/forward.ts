import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { GatewayGrant } from "@leash/providers";
import type { Dispatcher } from "undici";
import { encodeStrict, parseQuery } from "./decode.js";
import type { Exchange } from "./exchange.js";
import { forwardHeaders, relayHeaders } from "./headers.js";
import type { CutReason, InFlight } from "./inflight.js";
import type { CheckedIntent } from "./intent.js";
import { type OutgoingRequest, targetOf } from "./outgoing.js";
import { GatewayRefusal } from "./problem.js";
import { BodyScanner, createRedactor, type Redactor } from "./redact.js";
import { relayBody } from "./relay.js";
import type { Route } from "./route.js";
import type { Upstream } from "./upstreams.js";

export interface ForwardDeps {
  dispatcher: Dispatcher;
  inflight: InFlight;
  /** Upstream headers and idle-body timeout. */
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  /** The gateway's own work is done: the request leaves for the upstream (overhead metric). */
  onDispatch?: (x: Exchange) => void;
}

/**
 * The query parameter Express's method-override, Symfony and Laravel obey to turn a POST into another method after
 * the gateway checked it (the headers of that kind are dropped in headers.ts). Decoded name, any case.
 */
const isMethodOverride = (name: string): boolean => name.toLowerCase() === "_method";

/**
 * The request as the upstream gets it: `url`'s path, `/`, then P as the agent sent it, and the query unchanged but
 * for parameters the credential goes in. SigV4 upstreams get both re-encoded canonically from the checked values,
 * since the signature covers exactly what is sent.
 */
function outgoingOf(
  req: IncomingMessage,
  upstream: Upstream,
  route: Route,
  checked: CheckedIntent,
): OutgoingRequest {
  const { injector } = upstream;
  const params = parseQuery(route.rawQuery ?? "");
  if (!params)
    throw new GatewayRefusal("invalid_request", "query: malformed percent-encoding or invalid UTF-8");
  const kept = params.filter((p) => !injector.reservedQuery(p.name) && !isMethodOverride(p.name));
  const canonical = injector.canonicalEncoding;
  const path = !canonical
    ? route.rawPath
    : checked.listing
      ? ""
      : checked.resource.split("/").map(encodeStrict).join("/");
  return {
    method: req.method ?? "GET",
    host: upstream.host,
    path: `${upstream.basePath}/${path}`,
    query: kept.map((p) => (canonical ? `${encodeStrict(p.name)}=${encodeStrict(p.value)}` : p.raw)),
    headers: forwardHeaders(req.rawHeaders, injector.reservedHeaders),
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** An HTTP/1.1 client holding its body back until told to go on (never sent to HTTP/1.0 clients). */
function expectsContinue(req: IncomingMessage): boolean {
  return req.httpVersion === "1.1" && /^\s*100-continue\s*$/i.test(req.headers.expect ?? "");
}

/** The agent's body, streamed as it arrives, counted, and stopped at the limit. */
async function* bodyOf(req: IncomingMessage, x: Exchange, limit: number): AsyncGenerator<Buffer> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    x.bytesIn += chunk.length;
    if (x.bytesIn > limit) throw new GatewayRefusal("payload_too_large", `body: more than ${limit} bytes`);
    yield chunk;
  }
}

/**
 * Redactors are compiled once per set of secrets (a static secret, or a lease's minted credential). The injector
 * hands the same list for as long as the credential lasts, so this holds no secret past its lease, however many
 * leases come and go.
 */
const redactors = new WeakMap<readonly string[], Redactor>();

function redactorFor(secrets: readonly string[]): Redactor {
  let r = redactors.get(secrets);
  if (!r) {
    r = createRedactor(secrets);
    redactors.set(secrets, r);
  }
  return r;
}

const CUT_DETAIL: Readonly<Record<CutReason, string>> = {
  lease_not_live: "the lease ended while the request was in flight",
  gateway_unavailable: "the gateway's view of live leases went stale while the request was in flight",
};

/**
 * Forwards one checked request and relays the answer, streaming both ways. The exchange is registered in flight
 * for its whole life, so a revocation, the token's expiry or a stale view cuts it, also mid-body. Redirects are
 * relayed, never followed; response header values are redacted; the body is relayed unless it shows the secret.
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  x: Exchange,
  target: { upstream: Upstream; route: Route; checked: CheckedIntent; grant: GatewayGrant },
  deps: ForwardDeps,
): Promise<void> {
  const { upstream, grant } = target;
  const out = outgoingOf(req, upstream, target.route, target.checked);
  const controller = new AbortController();
  let cutReason: CutReason | undefined;
  const leave = deps.inflight.add({
    leaseId: grant.leaseId,
    upstream: upstream.name,
    issuedAt: grant.issuedAt,
    expiresAt: grant.expiresAt,
    cut(reason) {
      if (cutReason) return;
      cutReason = reason;
      controller.abort(new GatewayRefusal(reason, CUT_DETAIL[reason]));
      // Past the head there is nothing to answer with: break the response off.
      if (res.headersSent) res.destroy();
    },
  });
  res.once("close", () => {
    leave();
    if (!res.writableFinished) controller.abort(new Error("the agent went away"));
  });
  try {
    const secrets = await upstream.injector.inject(out, grant, controller.signal);
    const redactor = redactorFor(secrets);
    deps.onDispatch?.(x);
    const withBody = hasBody(req);
    // Every check has passed and the credential is ready: now the agent may send the body it holds back.
    if (withBody && expectsContinue(req)) res.writeContinue();
    const response = await deps.dispatcher.request({
      origin: upstream.origin,
      path: targetOf(out),
      method: out.method as Dispatcher.HttpMethod,
      headers: out.headers,
      body: withBody ? Readable.from(bodyOf(req, x, deps.maxBodyBytes), { objectMode: false }) : null,
      // Upstream connections are shared by every agent. One that reads no body where the agent sent one (CL.0:
      // static handlers, endpoints that expect none) would read it as the start of the next request, which may
      // be another agent's, credential included: a connection that carried a body is never used again. (Never
      // `reset: false`: it would undo undici's own reset after HEAD, for servers that answer HEAD with a body.)
      ...(withBody ? { reset: true } : {}),
      signal: controller.signal,
      headersTimeout: deps.upstreamTimeoutMs,
      bodyTimeout: deps.upstreamTimeoutMs,
    });
    x.status = response.statusCode;
    const scanner = new BodyScanner(redactor.bodyPatterns);
    try {
      res.writeHead(response.statusCode, relayHeaders(response.headers, redactor.header));
      await relayBody(response.body, res, scanner);
    } catch (error) {
      response.body.destroy();
      throw error;
    } finally {
      x.bytesOut = scanner.relayed;
    }
  } catch (error) {
    throw cutReason ? new GatewayRefusal(cutReason, CUT_DETAIL[cutReason]) : error;
  }
}
