import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { GatewayMetrics } from "@leash/runtime";
import { type Exchange, startExchange } from "./exchange.js";
import { GatewayRefusal, rawProblem } from "./problem.js";

/** A request head (request line and headers) larger than this is 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A head not complete this long after the connection (or the previous response) is 408: slow-loris clients. */
const HEAD_TIMEOUT_MS = 10_000;

export interface ServerOptions {
  /** A connection that moves no byte either way for this long is dropped (a client that stops reading). */
  idleTimeoutMs: number;
  headTimeoutMs?: number;
  metrics: GatewayMetrics;
  /** Malformed HTTP is refused before there is a request: record it like any other refusal. */
  onRefusedHead(x: Exchange): void;
}

/** Node's parser errors, and what the gateway answers each with (the connection is closed after it). */
function refusalOfParseError(code: string | undefined): GatewayRefusal {
  if (code === "HPE_HEADER_OVERFLOW")
    return new GatewayRefusal("headers_too_large", `head: over ${MAX_HEAD_BYTES} bytes`, true);
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return new GatewayRefusal("request_timeout", "head: not complete in time", true);
  }
  return new GatewayRefusal("invalid_request", `malformed HTTP (${code ?? "parse error"})`, true);
}

function refuseRaw(socket: Duplex, refusal: GatewayRefusal, method: string, options: ServerOptions): void {
  const x = startExchange({ url: "", method } as IncomingMessage);
  x.outcome = "refused";
  x.reason = refusal.reason;
  x.status = refusal.status;
  // Nothing more is read from a connection that sent malformed HTTP: answer, then close it.
  socket.once("finish", () => socket.destroy());
  socket.end(rawProblem(refusal, x.requestId));
  options.onRefusedHead(x);
}

function serveOperational(req: IncomingMessage, res: ServerResponse, metrics: GatewayMetrics): boolean {
  if (req.method !== "GET" || (req.url !== "/healthz" && req.url !== "/metrics")) return false;
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json", "x-leash-gateway": "1" }).end('{"status":"ok"}');
    return true;
  }
  metrics.registry.metrics().then(
    (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
    () => res.writeHead(500).end(),
  );
  return true;
}

/**
 * Node's HTTP server, strict: its parser (llhttp, never the lenient one) refuses Transfer-Encoding with
 * Content-Length, repeated Content-Length or Transfer-Encoding, obs-fold, bare CR or LF, NUL and control bytes,
 * and authority-form targets; the gateway answers each with its own 400 and closes. CONNECT is refused the same
 * way. Heads over 16 KiB are 431, heads not complete in 10 s 408.
 */
export function createGatewayServer(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  options: ServerOptions,
): Server {
  const server = createServer(
    {
      maxHeaderSize: MAX_HEAD_BYTES,
      headersTimeout: options.headTimeoutMs ?? HEAD_TIMEOUT_MS,
      // Bodies stream for as long as they flow: idleTimeoutMs (and the upstream's timeouts) bound a stall instead.
      requestTimeout: 0,
      // How often Node checks heads against headersTimeout (default 30 s: a slow head would wait that long).
      connectionsCheckingInterval: 500,
      keepAliveTimeout: 5_000,
      insecureHTTPParser: false,
      // The gateway's own check answers a missing Host with its problem body.
      requireHostHeader: false,
    },
    (req, res) => {
      if (!serveOperational(req, res, options.metrics)) handle(req, res);
    },
  );
  // Node would answer `Expect: 100-continue` with 100 before the gateway checked anything, inviting the body of a
  // request about to be refused, and any other expectation with a bare 417: both go through the pipeline instead,
  // which invites the body only of what it forwards (forward.ts) and ignores expectations it does not know.
  server.on("checkContinue", handle);
  server.on("checkExpectation", handle);
  server.setTimeout(options.idleTimeoutMs, (socket) => socket.destroy());
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    refuseRaw(socket, refusalOfParseError(error.code), "", options);
  });
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    refuseRaw(
      socket,
      new GatewayRefusal("invalid_request", "CONNECT: the gateway is not a tunnel", true),
      "CONNECT",
      options,
    );
  });
  return server;
}
