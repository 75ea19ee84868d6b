import { describe, expect, it } from "vitest";
import { createLeashClient, type LeashClientOptions } from "./client.js";
import { LeashApiError, LeashConnectionError } from "./errors.js";
import { json, networkError, problem, type Responder, scriptedFetch } from "./fake-fetch.js";

const LEASE_REQUEST = {
  task_id: "tk_1",
  provider: "leash-jwt" as const,
  intent: { action: "read", resource: "docs/a.md", tool: "docs-api" },
};
const ISSUED = {
  lease_id: "ls_1",
  task_id: "tk_1",
  provider: "leash-jwt",
  state: "active",
  issued_at: "2026-01-01T00:00:00.000Z",
  expires_at: "2026-01-01T00:05:00.000Z",
  scope: ["read:docs/a.md"],
  credential: { token: "t", token_type: "Bearer" },
};
const CAMPAIGN = { id: "rv_1", state: "running", matched: 3, ordered: 3, revoked: 0, failed: 0 };

function setup(script: Responder[], extra: Partial<LeashClientOptions> = {}) {
  const { fetch, calls } = scriptedFetch(...script);
  const sleeps: number[] = [];
  const client = createLeashClient({
    baseUrl: "http://leash.test/",
    token: "tok",
    fetch,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { client, calls, sleeps };
}

describe("retries (5xx and network errors, never 4xx)", () => {
  it("repeats a 5xx with exponential backoff and returns the eventual answer", async () => {
    const { client, calls, sleeps } = setup([
      () => problem(503, "store_unavailable"),
      () => problem(502, "internal"),
      () => json(200, { matched: 1, by_provider: {}, by_agent: {} }),
    ]);
    const preview = await client.previewRevocation({ selector: { all: true }, reason: "drill" });
    expect(preview.matched).toBe(1);
    expect(calls).toHaveLength(3);
    // base 200 ms, doubling, equal jitter with random() = 0.5: 3/4 of each step
    expect(sleeps).toEqual([150, 300]);
  });

  it("gives up after `retries` repetitions with the last error", async () => {
    const { client, calls } = setup([() => problem(500, "internal")], { retries: 2 });
    const error = await client.getTask("tk_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeashApiError);
    expect((error as LeashApiError).status).toBe(500);
    expect(calls).toHaveLength(3);
  });

  it.each([400, 401, 403, 404, 409, 429])("never repeats a %i", async (status) => {
    const { client, calls } = setup([() => problem(status, "x"), () => json(200, {})]);
    await expect(client.getLease("ls_1")).rejects.toBeInstanceOf(LeashApiError);
    expect(calls).toHaveLength(1);
  });

  it("waits as long as Retry-After says (seconds)", async () => {
    const { client, sleeps } = setup([
      () => problem(503, "provider_unavailable", { "retry-after": "2" }),
      () => json(200, ISSUED),
    ]);
    await client.requestLease(LEASE_REQUEST);
    expect(sleeps).toEqual([2000]);
  });

  it("returns the error instead of waiting for a Retry-After beyond maxRetryAfterMs", async () => {
    const { client, calls, sleeps } = setup(
      [() => problem(503, "store_unavailable", { "retry-after": "120" }), () => json(200, ISSUED)],
      { maxRetryAfterMs: 30_000 },
    );
    const error = (await client.requestLease(LEASE_REQUEST).catch((e: unknown) => e)) as LeashApiError;
    expect(error.retryAfterSeconds).toBe(120);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("repeats idempotent calls after a network error", async () => {
    const { client, calls } = setup([
      () => {
        throw networkError("ECONNRESET");
      },
      () => json(200, { ok: true, checked: 4 }),
    ]);
    expect(await client.verifyAudit()).toEqual({ ok: true, checked: 4 });
    expect(calls).toHaveLength(2);
  });

  it("starts a campaign at most once: no repeat after a reset or a 5xx, only after a refused connection", async () => {
    const reset = setup([
      () => {
        throw networkError("ECONNRESET");
      },
      () => json(202, CAMPAIGN),
    ]);
    await expect(reset.client.revoke({ selector: { all: true }, reason: "r" })).rejects.toBeInstanceOf(
      LeashConnectionError,
    );
    expect(reset.calls).toHaveLength(1);

    const failed = setup([() => problem(500, "internal"), () => json(202, CAMPAIGN)]);
    await expect(failed.client.revoke({ selector: { all: true }, reason: "r" })).rejects.toBeInstanceOf(
      LeashApiError,
    );
    expect(failed.calls).toHaveLength(1);

    const refused = setup([
      () => {
        throw networkError("ECONNREFUSED");
      },
      () => json(202, CAMPAIGN),
    ]);
    expect((await refused.client.revoke({ selector: { all: true }, reason: "r" })).id).toBe("rv_1");
    expect(refused.calls).toHaveLength(2);
  });

  it("times out an attempt that does not answer, then retries it", async () => {
    const hang: Responder = (_call, signal) =>
      new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    const { client, calls } = setup([hang, () => json(200, { ok: true, checked: 0 })], { timeoutMs: 20 });
    expect((await client.verifyAudit()).ok).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it("asks a token function again before every attempt", async () => {
    let n = 0;
    const { client, calls } = setup(
      [() => problem(503, "store_unavailable"), () => json(200, { ok: true, checked: 0 })],
      {
        token: async () => `tok-${++n}`,
      },
    );
    await client.verifyAudit();
    expect(calls.map((c) => c.headers.authorization)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
  });
});

describe("idempotency", () => {
  it("sends one Idempotency-Key per requestLease call, the same across its retries", async () => {
    const { client, calls } = setup([
      () => problem(503, "provider_unavailable"),
      () => {
        throw networkError("ECONNRESET");
      },
      () => json(201, ISSUED),
    ]);
    await client.requestLease(LEASE_REQUEST);
    await client.requestLease(LEASE_REQUEST);
    const keys = calls.map((c) => c.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(keys[3]).not.toBe(keys[0]);
  });

  it("uses the caller's Idempotency-Key when given", async () => {
    const { client, calls } = setup([() => json(200, ISSUED)]);
    await client.requestLease(LEASE_REQUEST, { idempotencyKey: "job-42" });
    expect(calls[0]?.headers["idempotency-key"]).toBe("job-42");
  });

  it("registers a task under one client-chosen id across retries", async () => {
    const task = {
      id: "x",
      agent: "a",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 60,
      state: "active",
      deadline: "2026-01-01T00:01:00.000Z",
    };
    const { client, calls } = setup([() => problem(503, "store_unavailable"), () => json(201, task)]);
    await client.registerTask({ agent: "a", ceiling: task.ceiling, ttl_seconds: 60 });
    const ids = calls.map((c) => (JSON.parse(c.body ?? "{}") as { id: string }).id);
    expect(ids[0]).toMatch(/^tk_[0-9a-f]{32}$/);
    expect(ids[1]).toBe(ids[0]);
  });
});

describe("error mapping", () => {
  it("carries the problem+json fields and the Leash code", async () => {
    const body = {
      type: "urn:leash:problem:policy_denied",
      title: "Denied by policy",
      status: 403,
      detail: "no rule permits this",
      reasons: ["forbid: restricted data"],
      request_id: "req-9",
    };
    const { client } = setup([
      () =>
        new Response(JSON.stringify(body), {
          status: 403,
          headers: { "content-type": "application/problem+json" },
        }),
    ]);
    const error = (await client.requestLease(LEASE_REQUEST).catch((e: unknown) => e)) as LeashApiError;
    expect(error).toBeInstanceOf(LeashApiError);
    expect(error).toMatchObject({ ...body, code: "policy_denied" });
    expect(error.message).toContain("no rule permits this");
  });

  it("maps a body that is not a problem (a proxy's page) by its status, with the x-request-id header", async () => {
    const { client } = setup([
      () => new Response("<html>bad gateway</html>", { status: 404, headers: { "x-request-id": "req-h" } }),
    ]);
    const error = (await client.getTask("t").catch((e: unknown) => e)) as LeashApiError;
    expect(error).toMatchObject({ status: 404, type: "about:blank", code: undefined, request_id: "req-h" });
  });

  it("refuses a 2xx answer that does not match the contract", async () => {
    const { client } = setup([() => json(200, { items: "nope" })]);
    await expect(client.listLeases()).rejects.toBeInstanceOf(LeashConnectionError);
  });
});

describe("requests on the wire", () => {
  it("URL-encodes path segments and sends query filters", async () => {
    const { client, calls } = setup([
      () => json(200, { agent: "spiffe://d/agent/a", live: [], count: 0, by_provider: {} }),
      () => json(200, { items: [], next_cursor: null }),
    ]);
    await client.exposure("spiffe://d/agent/a");
    await client.listLeases({ agent: "x", state: "active", limit: 5 });
    expect(calls[0]?.url).toBe("http://leash.test/v1/agents/spiffe%3A%2F%2Fd%2Fagent%2Fa/exposure");
    expect(calls[1]?.url).toBe("http://leash.test/v1/leases?agent=x&state=active&limit=5");
    expect(calls[0]?.headers.authorization).toBe("Bearer tok");
  });

  it("streams an NDJSON export split at arbitrary byte boundaries", async () => {
    const ev = (id: string) => ({
      id,
      ts: "t",
      type: "lease.issued",
      actor: null,
      outcome: "ok",
      hash: "h",
      x: 1,
    });
    const text = `${JSON.stringify(ev("1-0"))}\n${JSON.stringify(ev("2-0"))}\n${JSON.stringify(ev("3-0"))}`;
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const { client } = setup([() => new Response(body, { status: 200 })]);
    const events = [];
    for await (const e of client.auditExport({ since: "0-1" })) events.push(e);
    expect(events.map((e) => e.id)).toEqual(["1-0", "2-0", "3-0"]);
    // unknown fields survive, so an export is complete
    expect(events[0]?.x).toBe(1);
  });

  it("follows cursors in listAllLeases", async () => {
    const lease = (id: string) => ({
      lease_id: id,
      task_id: "t",
      agent: "a",
      provider: "leash-jwt",
      target: null,
      intent: { action: "read", resource: "r" },
      scope: [],
      state: "active",
      issued_at: "x",
      expires_at: "y",
      revoked_at: null,
      revoke_reason: null,
    });
    const { client, calls } = setup([
      () => json(200, { items: [lease("a")], next_cursor: "c1" }),
      () => json(200, { items: [lease("b")], next_cursor: null }),
    ]);
    const ids = [];
    for await (const l of client.listAllLeases({ limit: 1 })) ids.push(l.lease_id);
    expect(ids).toEqual(["a", "b"]);
    expect(calls[1]?.url).toContain("cursor=c1");
  });
});

describe("options", () => {
  it("refuses an invalid configuration", () => {
    expect(() => createLeashClient({ baseUrl: "ftp://x", token: "t" })).toThrow();
    expect(() => createLeashClient({ baseUrl: "http://x", token: "" })).toThrow();
    expect(() => createLeashClient({ baseUrl: "http://x", token: "t", retries: -1 })).toThrow();
  });
});
