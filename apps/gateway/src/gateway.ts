import type { AddressInfo } from "node:net";
import type { Clock } from "@leash/core";
import type { GatewayMetrics, Logger } from "@leash/runtime";
import { Agent, type Dispatcher } from "undici";
import type { AuditBatcher } from "./audit.js";
import { finish, gatewayHandler } from "./handler.js";
import { InFlight } from "./inflight.js";
import type { LiveLeases, TokenVerifier } from "./ports.js";
import { createGatewayServer } from "./server.js";
import type { Upstream } from "./upstreams.js";

export interface GatewayDeps {
  upstreams: ReadonlyMap<string, Upstream>;
  verifier: TokenVerifier;
  leases: LiveLeases;
  audit: AuditBatcher;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
  /** Where requests go (an undici Agent by default). */
  dispatcher?: Dispatcher;
}

export interface GatewayOptions {
  host: string;
  port: number;
  /** The upstream's headers, and each gap in its body, may take this long (504 / cut). */
  upstreamTimeoutMs?: number;
  /** A request body over this many bytes is 413. */
  maxBodyBytes?: number;
  /** A connection idle both ways this long is dropped. */
  idleTimeoutMs?: number;
  /** How often responses in flight are checked against expiry and the live view (well under the 1 s bound). */
  sweepMs?: number;
  headTimeoutMs?: number;
}

export interface Gateway {
  url: string;
  port: number;
  /** Responses in flight (tests and metrics). */
  inFlight(): number;
  /**
   * Stops accepting, lets responses in flight finish, then flushes the audit; past `deadline` it drops the
   * connections that are left. Resolves true when nothing was cut short.
   */
  close(deadline?: AbortSignal): Promise<boolean>;
}

/** Starts the gateway's HTTP server; resolves once it listens. */
export async function startGateway(deps: GatewayDeps, options: GatewayOptions): Promise<Gateway> {
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const ownDispatcher = deps.dispatcher
    ? undefined
    : new Agent({
        connect: { timeout: upstreamTimeoutMs },
        // Kept-alive upstream connections, as many per origin as requests in flight (no cap: a cap would queue
        // agents behind one another), one request at a time on each (no pipelining: an answer that goes wrong
        // would take the requests queued behind it, other agents' among them).
        keepAliveTimeout: 4_000,
        connections: null,
        pipelining: 1,
      });
  const dispatcher = deps.dispatcher ?? (ownDispatcher as Dispatcher);
  const inflight = new InFlight();
  const perLease = [...deps.upstreams.values()].flatMap((u) =>
    u.injector.perLease ? [{ upstream: u.name, credentials: u.injector.perLease }] : [],
  );
  const onError = (error: unknown) =>
    deps.logger.warn({ error: (error as Error)?.message }, "ending a lease's upstream credential failed");
  const stopListening = deps.leases.onRevoked((entry) => {
    const cut = inflight.revoked(entry);
    if (cut > 0) deps.logger.info({ ...entry, cut }, "cut responses in flight");
    for (const p of perLease) {
      if (entry.kind === "lease") void p.credentials.end(entry.leaseId).catch(onError);
      else if (entry.upstream === p.upstream)
        void p.credentials.endIssuedBefore(entry.issuedBefore).catch(onError);
    }
  });
  const sweep = setInterval(() => {
    const now = deps.clock.now();
    inflight.sweep(now, (f) => deps.leases.status(f));
    for (const p of perLease) void p.credentials.sweep(now).catch(onError);
  }, options.sweepMs ?? 200);
  sweep.unref();

  const server = createGatewayServer(
    gatewayHandler({
      ...deps,
      dispatcher,
      inflight,
      upstreamTimeoutMs,
      maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 ** 3,
      onDispatch: (x) =>
        deps.metrics.overhead.observe(
          { upstream: x.upstream ?? "-" },
          (performance.now() - x.started) / 1000,
        ),
    }),
    {
      idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
      ...(options.headTimeoutMs ? { headTimeoutMs: options.headTimeoutMs } : {}),
      metrics: deps.metrics,
      onRefusedHead: (x) => finish(x, deps),
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown =
    options.host === "0.0.0.0"
      ? "127.0.0.1"
      : options.host.includes(":")
        ? `[${options.host}]`
        : options.host;

  let closing: Promise<boolean> | undefined;
  async function close(deadline?: AbortSignal): Promise<boolean> {
    stopListening();
    clearInterval(sweep);
    let clean = true;
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const cutShort = new Promise<void>((resolve) => {
      deadline?.addEventListener(
        "abort",
        () => {
          clean = false;
          server.closeAllConnections();
          resolve();
        },
        { once: true },
      );
    });
    await Promise.race([drained, cutShort]);
    clearInterval(idle);
    const unwritten = await deps.audit.close(deadline);
    if (unwritten > 0) {
      clean = false;
      deps.logger.warn({ events: unwritten }, "gateway.request events left unwritten at shutdown");
    }
    await Promise.allSettled(perLease.map((p) => p.credentials.close()));
    await ownDispatcher?.close().catch(() => undefined);
    return clean;
  }

  return {
    url: `http://${shown}:${port}`,
    port,
    inFlight: () => inflight.size(),
    close: (deadline) => {
      closing ??= close(deadline);
      return closing;
    },
  };
}
