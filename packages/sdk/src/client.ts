import { z } from "zod";
import { LeashConnectionError } from "./errors.js";
import { type GatewayCredential, gatewayFetch } from "./gateway.js";
import { lines } from "./ndjson.js";
import { abortableSleep, createTransport, type FetchLike, type TokenSource } from "./transport.js";
import {
  AuditEvent,
  AuditPage,
  type AuditQuery,
  AuditVerification,
  Exposure,
  Introspection,
  Lease,
  LeaseGrant,
  LeasePage,
  type LeaseQuery,
  type LeaseRequest,
  Revocation,
  type RevocationOrder,
  RevocationPreview,
  Task,
  type TaskCreate,
  TaskEnded,
} from "./types.js";

export interface LeashClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The caller's workload token, or a function returning a current one. */
  token: TokenSource;
  fetch?: FetchLike;
  /** Repetitions after the first attempt, for network errors and 5xx answers (never 4xx). Default 3. */
  retries?: number;
  /** Per attempt. Default 10 000 ms. */
  timeoutMs?: number;
  backoff?: { baseMs?: number; maxMs?: number };
  /** Longest `Retry-After` the client waits for before giving the error back instead. Default 30 000 ms. */
  maxRetryAfterMs?: number;
  /** How to wait between attempts (tests pass one that records instead of waiting). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

const Options = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  token: z.custom<TokenSource>(
    (v) => (typeof v === "string" ? v.length > 0 : typeof v === "function"),
    "token must be a non-empty string or a function returning one",
  ),
  fetch: z.custom<FetchLike>((v) => typeof v === "function").optional(),
  retries: z.number().int().min(0).max(10).default(3),
  timeoutMs: z.number().int().positive().default(10_000),
  backoff: z
    .object({ baseMs: z.number().min(0).default(200), maxMs: z.number().min(0).default(5_000) })
    .default({ baseMs: 200, maxMs: 5_000 }),
  maxRetryAfterMs: z.number().min(0).default(30_000),
});

export interface CallOptions {
  signal?: AbortSignal;
}

export interface LeaseRequestOptions extends CallOptions {
  /** Reuse a key to make a retry from another process return the same lease; default: a fresh UUID per call. */
  idempotencyKey?: string;
}

export interface WaitOptions extends CallOptions {
  intervalMs?: number;
  onProgress?: (revocation: Revocation) => void;
}

const seg = (value: string) => encodeURIComponent(value);

export type LeashClient = ReturnType<typeof createLeashClient>;

/** A typed client of the Leash v1 API for agents, orchestrators and the security team. */
export function createLeashClient(options: LeashClientOptions) {
  const o = Options.parse(options);
  const sleep = options.sleep ?? abortableSleep;
  const t = createTransport({
    baseUrl: o.baseUrl,
    token: o.token,
    fetch: o.fetch ?? ((url, init) => fetch(url, init)),
    retries: o.retries,
    timeoutMs: o.timeoutMs,
    backoffBaseMs: o.backoff.baseMs,
    backoffMaxMs: o.backoff.maxMs,
    maxRetryAfterMs: o.maxRetryAfterMs,
    sleep,
    random: options.random ?? Math.random,
    userAgent: "leash-sdk/0.1",
  });
  const get = async <T>(schema: z.ZodType<T>, path: string, opts: CallOptions = {}, query = {}) =>
    t.parse(
      schema,
      (await t.json({ method: "GET", path, query, idempotent: true, signal: opts.signal })).body,
      path,
    );

  const fetchImpl: FetchLike = o.fetch ?? ((url, init) => fetch(url, init));
  const client = {
    /**
     * Calls an upstream through the gateway with a `provider: "gateway"` lease: `path` under its `base_url`, with
     * the lease's token (the agent never holds the upstream's secret). Not retried: the request may not be
     * idempotent.
     */
    fetch: (lease: LeaseGrant | GatewayCredential, path: string, init?: RequestInit) =>
      gatewayFetch(lease, path, init, fetchImpl),
    /** Registers a task. The SDK fills in `id` when absent so that retrying cannot register two tasks. */
    async registerTask(body: TaskCreate, opts: CallOptions = {}): Promise<Task> {
      const withId = { ...body, id: body.id ?? `tk_${crypto.randomUUID().replaceAll("-", "")}` };
      const res = await t.json({
        method: "POST",
        path: "/v1/tasks",
        body: withId,
        idempotent: true,
        ...opts,
      });
      return t.parse(Task, res.body, "register task");
    },
    getTask: (id: string, opts?: CallOptions) => get(Task, `/v1/tasks/${seg(id)}`, opts),
    async completeTask(id: string, opts: CallOptions = {}): Promise<TaskEnded> {
      const res = await t.json({
        method: "POST",
        path: `/v1/tasks/${seg(id)}/complete`,
        idempotent: true,
        ...opts,
      });
      return t.parse(TaskEnded, res.body, "complete task");
    },
    async cancelTask(id: string, opts: CallOptions = {}): Promise<TaskEnded> {
      const res = await t.json({
        method: "POST",
        path: `/v1/tasks/${seg(id)}/cancel`,
        idempotent: true,
        ...opts,
      });
      return t.parse(TaskEnded, res.body, "cancel task");
    },
    /**
     * Asks for a credential. One `Idempotency-Key` per call, reused by its own retries, so a lost answer never
     * mints twice. The result is `active` with the credential, or `pending_approval` when a person must approve.
     */
    async requestLease(body: LeaseRequest, opts: LeaseRequestOptions = {}): Promise<LeaseGrant> {
      const key = opts.idempotencyKey ?? crypto.randomUUID();
      const res = await t.json({
        method: "POST",
        path: "/v1/leases",
        body,
        headers: { "idempotency-key": key },
        idempotent: true,
        signal: opts.signal,
      });
      return t.parse(LeaseGrant, res.body, "request lease");
    },
    getLease: (id: string, opts?: CallOptions) => get(Lease, `/v1/leases/${seg(id)}`, opts),
    /** Gives a credential back early (idempotent). */
    async returnLease(id: string, opts: CallOptions = {}): Promise<Lease> {
      const res = await t.json({
        method: "DELETE",
        path: `/v1/leases/${seg(id)}`,
        idempotent: true,
        ...opts,
      });
      return t.parse(Lease, res.body, "return lease");
    },
    /** One page, newest first; pass `next_cursor` back as `cursor`. Security role. */
    listLeases: (query: LeaseQuery = {}, opts?: CallOptions) => get(LeasePage, "/v1/leases", opts, query),
    /** Every lease matching the query, following cursors. */
    async *listAllLeases(query: Omit<LeaseQuery, "cursor"> = {}, opts?: CallOptions): AsyncGenerator<Lease> {
      let cursor: string | undefined;
      do {
        const page = await client.listLeases({ ...query, cursor }, opts);
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },
    /** The agent's live leases with scopes and expiries. Security role. */
    exposure: (agent: string, opts?: CallOptions) => get(Exposure, `/v1/agents/${seg(agent)}/exposure`, opts),
    /** What a mass revocation would hit, without revoking anything. */
    async previewRevocation(order: RevocationOrder, opts: CallOptions = {}): Promise<RevocationPreview> {
      const body = { ...order, dry_run: true };
      const res = await t.json({ method: "POST", path: "/v1/revocations", body, idempotent: true, ...opts });
      return t.parse(RevocationPreview, res.body, "preview revocation");
    },
    /**
     * Starts a mass revocation campaign. Not repeated after an ambiguous failure (that could start two campaigns);
     * only when the connection was refused outright.
     */
    async revoke(order: RevocationOrder, opts: CallOptions = {}): Promise<Revocation> {
      const res = await t.json({
        method: "POST",
        path: "/v1/revocations",
        body: order,
        idempotent: false,
        ...opts,
      });
      return t.parse(Revocation, res.body, "revoke");
    },
    getRevocation: (id: string, opts?: CallOptions) => get(Revocation, `/v1/revocations/${seg(id)}`, opts),
    /** Polls a campaign until it is `done` or `failed`, reporting each observation. */
    async waitForRevocation(id: string, opts: WaitOptions = {}): Promise<Revocation> {
      for (;;) {
        const campaign = await client.getRevocation(id, opts);
        opts.onProgress?.(campaign);
        if (campaign.state !== "running") return campaign;
        await sleep(opts.intervalMs ?? 250, opts.signal);
      }
    },
    /** Audit events after `since`, oldest first; pass `next_cursor` back as `since`. Security role. */
    audit: (query: AuditQuery = {}, opts?: CallOptions) => get(AuditPage, "/v1/audit", opts, query),
    verifyAudit: (opts?: CallOptions) => get(AuditVerification, "/v1/audit/verify", opts),
    /**
     * Streams every event after `since` (NDJSON). Only the start is retried; if the stream breaks, call again with
     * `since` = the last event id received.
     */
    async *auditExport(query: { since?: string } = {}, opts: CallOptions = {}): AsyncGenerator<AuditEvent> {
      const res = await t.stream({
        method: "GET",
        path: "/v1/audit/export",
        query,
        idempotent: true,
        ...opts,
      });
      if (!res.body) return;
      for await (const line of lines(res.body)) {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          throw new LeashConnectionError("audit export: a line is not JSON", 1, error);
        }
        yield t.parse(AuditEvent, value, "audit export");
      }
    },
    /** RFC 7662: whether a Leash task token is still live. */
    async introspect(token: string, opts: CallOptions = {}): Promise<Introspection> {
      const res = await t.json({
        method: "POST",
        path: "/v1/introspect",
        body: { token },
        idempotent: true,
        ...opts,
      });
      return t.parse(Introspection, res.body, "introspect");
    },
  };
  return client;
}
