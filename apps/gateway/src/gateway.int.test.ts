import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, SECRET, startHarness } from "./testing/harness.js";
import { streamingGet } from "./testing/stream.js";
import { startTestUpstream, type TestUpstream } from "./testing/upstream.js";

let upstream: TestUpstream;
let h: Harness;

beforeAll(async () => {
  upstream = await startTestUpstream();
  h = await startHarness(
    {
      api: {
        url: `${upstream.url}/base`,
        auth: {
          type: "header",
          name: "authorization",
          format: "Bearer {secret}",
          secret: { vault_kv: "secret/api", key: "k" },
        },
      },
      q: {
        url: upstream.url,
        auth: { type: "query", name: "api_key", secret: { vault_kv: "secret/q", key: "k" } },
      },
    },
    { upstreamTimeoutMs: 500 },
  );
});
afterAll(async () => {
  await h?.close();
  await upstream?.close();
});
afterEach(() => {
  upstream.received.length = 0;
});

async function call(path: string, token: string | null, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(`${h.url}${path}`, { ...init, headers, redirect: "manual" });
}

const header = (r: { headers: [string, string][] } | undefined, name: string) =>
  r?.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);

/** Waits for a condition with a deadline (no fixed sleeps). */
async function until<T>(probe: () => T | undefined, ms = 2_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("relaying within the intent", () => {
  it("injects the secret in place of the agent's token, sets Host to the upstream and drops forwarding headers", async () => {
    const token = await h.token({ upstream: "api", resource: "docs/" });
    const res = await call("/u/api/docs/a.md?x=1&y=%20", token, {
      headers: {
        "x-forwarded-for": "1.2.3.4",
        forwarded: "for=evil",
        "x-forwarded-host": "evil",
        "proxy-authorization": "Basic x",
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-leash-gateway")).toBeNull();
    expect(await res.json()).toEqual({ ok: true, path: "/base/docs/a.md" });
    const got = upstream.received[0];
    expect(got?.url).toBe("/base/docs/a.md?x=1&y=%20");
    expect(header(got, "authorization")).toEqual([`Bearer ${SECRET}`]);
    expect(header(got, "host")).toEqual([new URL(upstream.url).host]);
    for (const name of ["x-forwarded-for", "forwarded", "x-forwarded-host", "proxy-authorization"]) {
      expect(header(got, name), name).toEqual([]);
    }
    expect(JSON.stringify(got?.headers)).not.toContain(token);
  });

  it("puts a query secret in its parameter and drops the agent's own, in any case", async () => {
    const token = await h.token({ upstream: "q", resource: "docs/" });
    const res = await call("/u/q/docs/a?api_key=mine&API_KEY=mine&api%5Fkey=mine&keep=1", token);
    expect(res.status).toBe(200);
    expect(upstream.received[0]?.url).toBe(`/docs/a?keep=1&api_key=${SECRET}`);
  });

  it("drops a method override in the query, which some frameworks obey after the gateway checked the method", async () => {
    // Express's method-override (`?_method=`), Symfony and Laravel turn a POST into a DELETE this way: a write
    // intent would delete.
    const token = await h.token({ upstream: "api", action: "write", resource: "docs/", methods: ["POST"] });
    const res = await call("/u/api/docs/a?_method=DELETE&_METHOD=delete&%5Fmethod=PUT&keep=1", token, {
      method: "POST",
      body: "x",
    });
    expect(res.status).toBe(200);
    expect(upstream.received[0]?.url).toBe("/base/docs/a?keep=1");
  });

  it("audits each request once, with lease, path without query, status and bytes, never values", async () => {
    const token = await h.token({ upstream: "api", leaseId: "lease-audit", resource: "docs/" });
    await (await call("/u/api/docs/b?secret-query=v", token)).text();
    await h.audit.flush();
    const event = await until(() => h.sink.events.find((e) => e.leaseId === "lease-audit"));
    expect(event).toMatchObject({
      type: "gateway.request",
      actor: "spiffe://dev.local/agent/a",
      agent: "spiffe://dev.local/agent/a",
      taskId: "task-1",
      outcome: "ok",
      detail: { upstream: "api", method: "GET", path: "docs/b", status: 200, bytes_in: 0 },
    });
    expect(Number(event.detail?.bytes_out)).toBeGreaterThan(0);
    expect(JSON.stringify(event)).not.toMatch(/secret-query|sk-test|Bearer/);
  });

  it("streams a response without waiting for its end", async () => {
    const token = await h.token({ upstream: "api", resource: "hold" });
    const res = await call("/u/api/hold", token);
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(first?.value?.byteLength).toBeGreaterThan(0);
    upstream.release();
    let total = first?.value?.byteLength ?? 0;
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      total += next.value.byteLength;
    }
    expect(total).toBe(2048);
  });

  it("streams a request body to the upstream and counts it", async () => {
    const token = await h.token({
      upstream: "api",
      action: "write",
      resource: "docs/",
      methods: ["POST"],
      leaseId: "lease-up",
    });
    const res = await call("/u/api/docs/new", token, { method: "POST", body: "x".repeat(100_000) });
    expect(res.status).toBe(200);
    expect(upstream.received[0]?.body.length).toBe(100_000);
    await h.audit.flush();
    const event = await until(() => h.sink.events.find((e) => e.leaseId === "lease-up"));
    expect(event.detail?.bytes_in).toBe(100_000);
  });
});

describe("refusals", () => {
  async function problem(res: Response) {
    expect(res.headers.get("x-leash-gateway")).toBe("1");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    return (await res.json()) as { type: string; status: number; detail: string };
  }

  it("401 without a token or with a bad one; a token for one upstream is refused under another", async () => {
    const forQ = await h.token({ upstream: "q", resource: "docs/" });
    for (const token of [null, "not-a-jwt", forQ]) {
      const res = await call("/u/api/docs/a", token);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expect((await problem(res)).type).toBe("urn:leash:problem:unauthenticated");
    }
    expect(upstream.received).toHaveLength(0);
  });

  it("404 for an unknown upstream, 403 outside the intent (path or method)", async () => {
    const token = await h.token({ upstream: "api", resource: "docs/" });
    const unknown = await call("/u/nope/docs/a", token);
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).type).toBe("urn:leash:problem:unknown_upstream");
    for (const [path, method] of [
      ["/u/api/other/a", "GET"],
      ["/u/api/docs/a", "DELETE"],
      ["/u/api/docs/%2e%2e/x", "GET"],
    ] as const) {
      const res = await call(path, token, { method });
      expect(res.status, path).toBe(403);
      expect((await problem(res)).type).toBe("urn:leash:problem:outside_intent");
    }
    expect(upstream.received).toHaveLength(0);
  });

  it("403 for a method the token lists but the gateway's own configuration does not allow for the action", async () => {
    // A token minted before the upstream's `methods` were narrowed (or by an API reading another trust file)
    // carries the old list: the gateway holds every request to the configuration it runs with too.
    const wider = await h.token({ upstream: "api", resource: "docs/", methods: ["GET", "HEAD", "DELETE"] });
    const res = await call("/u/api/docs/a", wider, { method: "DELETE" });
    expect(res.status).toBe(403);
    expect((await problem(res)).type).toBe("urn:leash:problem:outside_intent");
    const unknown = await h.token({ upstream: "api", action: "admin", resource: "docs/", methods: ["GET"] });
    expect((await call("/u/api/docs/a", unknown)).status).toBe(403);
    expect(upstream.received).toHaveLength(0);
    expect((await call("/u/api/docs/a", wider)).status).toBe(200);
  });

  it("403 lease_not_live once the lease ended or its token expired; 503 while the live view is stale", async () => {
    const ended = await h.token({ upstream: "api", leaseId: "lease-ended" });
    h.leases.end("lease-ended");
    const a = await call("/u/api/docs/a", ended);
    expect(a.status).toBe(403);
    expect((await problem(a)).type).toBe("urn:leash:problem:lease_not_live");
    const expired = await h.token({
      upstream: "api",
      expiresAt: h.clock.now() - 1_000,
      issuedAt: h.clock.now() - 60_000,
    });
    const b = await call("/u/api/docs/a", expired);
    expect(b.status).toBe(403);
    expect((await problem(b)).type).toBe("urn:leash:problem:lease_not_live");
    h.leases.stale = true;
    try {
      const c = await call("/u/api/docs/a", await h.token({ upstream: "api" }));
      expect(c.status).toBe(503);
      expect((await problem(c)).type).toBe("urn:leash:problem:gateway_unavailable");
    } finally {
      h.leases.stale = false;
    }
    expect(upstream.received).toHaveLength(0);
  });

  it("504 when the upstream does not answer in time, 502 when it cannot be reached", async () => {
    const token = await h.token({ upstream: "api", resource: "slow" });
    const slow = await call("/u/api/slow", token);
    expect(slow.status).toBe(504);
    expect((await problem(slow)).type).toBe("urn:leash:problem:upstream_timeout");
    const closed = await startHarness({
      gone: {
        url: "http://127.0.0.1:9",
        auth: { type: "header", name: "x-key", secret: { vault_kv: "s/x", key: "k" } },
      },
    });
    try {
      const res = await fetch(`${closed.url}/u/gone/docs/a`, {
        headers: { authorization: `Bearer ${await closed.token({ upstream: "gone" })}` },
      });
      expect(res.status).toBe(502);
      expect((await problem(res)).type).toBe("urn:leash:problem:upstream_unreachable");
    } finally {
      await closed.close();
    }
  });

  it("413 for a body over the limit, announced or streamed", async () => {
    const small = await startHarness(
      {
        api: {
          url: upstream.url,
          auth: { type: "header", name: "x-key", secret: { vault_kv: "s/x", key: "k" } },
        },
      },
      { maxBodyBytes: 1_000 },
    );
    try {
      const token = await small.token({ upstream: "api", action: "write", methods: ["POST"] });
      const res = await fetch(`${small.url}/u/api/docs/a`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: "x".repeat(2_000),
      });
      expect(res.status).toBe(413);
      expect((await problem(res)).type).toBe("urn:leash:problem:payload_too_large");
    } finally {
      await small.close();
    }
  });
});

describe("connections after a refusal", () => {
  /** Sends one raw request and reports the answer's status and whether the gateway closed the connection. */
  function raw(text: string): Promise<{ status: number; closed: boolean }> {
    return new Promise((resolve) => {
      const socket = connect(h.gateway.port, "127.0.0.1");
      let data = "";
      const done = (closed: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0), closed });
      };
      const timer = setTimeout(() => done(false), 500);
      socket.on("data", (d) => {
        data += d.toString("latin1");
      });
      socket.on("end", () => done(true));
      socket.write(text);
    });
  }

  it("keeps a bodiless request's connection, and closes one whose body was left unread", async () => {
    expect(await raw("GET /u/api/docs/a HTTP/1.1\r\nHost: gw\r\n\r\n")).toEqual({
      status: 401,
      closed: false,
    });
    expect(
      await raw("POST /u/api/docs/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000\r\n\r\npartial"),
    ).toEqual({ status: 401, closed: true });
  });
});

describe("what comes back", () => {
  it("relays a redirect to another origin without following it", async () => {
    const token = await h.token({ upstream: "api", resource: "redirect" });
    const res = await call(`/u/api/redirect?to=${encodeURIComponent("http://evil.example/steal")}`, token);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://evil.example/steal");
    expect(upstream.received).toHaveLength(1);
  });

  it("redacts the secret, verbatim or percent-encoded, in every response header value", async () => {
    const token = await h.token({ upstream: "api", resource: "echo-headers" });
    const res = await call(`/u/api/echo-headers`, token, {
      method: "HEAD",
      headers: { "x-mirror": encodeURIComponent(SECRET).toLowerCase() },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("echo-authorization")).toBe("Bearer [redacted]");
    for (const [, value] of res.headers) {
      expect(value).not.toContain(SECRET);
    }
    expect(upstream.received[0]?.method).toBe("HEAD");
  });

  it("cuts a response whose body shows the secret before any of it reaches the agent", async () => {
    const token = await h.token({ upstream: "api", resource: "echo-headers", leaseId: "lease-echo" });
    const body = await call("/u/api/echo-headers", token)
      .then((res) => res.text())
      .catch(() => "(cut)");
    expect(body).not.toContain(SECRET);
    await h.audit.flush();
    const event = await until(() => h.sink.events.find((e) => e.leaseId === "lease-echo"));
    expect(event).toMatchObject({ outcome: "failed", detail: { reason: "secret_in_body" } });
  });
});

describe("cutting responses in flight", () => {
  const streaming = (path: string, token: string) => streamingGet(`${h.url}${path}`, token);

  it("cuts a streaming response within a second of its lease's revocation", async () => {
    const token = await h.token({ upstream: "api", resource: "hold", leaseId: "lease-cut" });
    const s = await streaming("/u/api/hold", token);
    await s.firstChunk;
    const started = Date.now();
    h.leases.end("lease-cut");
    expect(await s.ended).toBe("cut");
    expect(Date.now() - started).toBeLessThan(1_000);
    upstream.release();
    await h.audit.flush();
    const event = await until(() => h.sink.events.find((e) => e.leaseId === "lease-cut"));
    expect(event).toMatchObject({ outcome: "failed", detail: { status: 200, reason: "lease_not_live" } });
  });

  /** A POST whose body trickles in: one chunk now, the rest never; resolves with the answer and how long it took. */
  function upload(token: string): { sent: Promise<void>; answer: Promise<{ status: number; body: string }> } {
    let sent: () => void = () => {};
    const first = new Promise<void>((r) => {
      sent = r;
    });
    const answer = new Promise<{ status: number; body: string }>((resolve) => {
      const req = request(
        `${h.url}/u/api/docs/upload`,
        { method: "POST", headers: { authorization: `Bearer ${token}`, "transfer-encoding": "chunked" } },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => {
            body += d.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          res.on("error", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", () => resolve({ status: 0, body: "" }));
      req.write("first chunk", () => sent());
    });
    return { sent: first, answer };
  }

  it("cuts an upload whose body is still coming in, within a second of its lease's end or its token's expiry", async () => {
    for (const ending of ["revoked", "expired"] as const) {
      const leaseId = `lease-upload-${ending}`;
      const token = await h.token({
        upstream: "api",
        action: "write",
        methods: ["POST"],
        leaseId,
        expiresAt: h.clock.now() + 60_000,
      });
      const u = upload(token);
      await u.sent;
      await until(() => (h.gateway.inFlight() === 1 ? true : undefined));
      const started = Date.now();
      if (ending === "revoked") h.leases.end(leaseId);
      else h.clock.at += 60_000;
      const answer = await u.answer;
      if (ending === "expired") h.clock.at -= 60_000;
      expect(Date.now() - started, ending).toBeLessThan(1_000);
      expect(answer.status, ending).toBe(403);
      expect(answer.body).toContain("lease_not_live");
      expect(upstream.received, "the upstream never got a whole request").toHaveLength(0);
    }
    await until(() => (h.gateway.inFlight() === 0 ? true : undefined));
  });

  it("cuts it when the token expires, and when the view goes stale", async () => {
    const token = await h.token({ upstream: "api", resource: "hold", expiresAt: h.clock.now() + 60_000 });
    const s = await streaming("/u/api/hold", token);
    await s.firstChunk;
    h.clock.at += 60_000;
    expect(await s.ended).toBe("cut");
    h.clock.at -= 60_000;
    const second = await streaming("/u/api/hold", await h.token({ upstream: "api", resource: "hold" }));
    await second.firstChunk;
    h.leases.stale = true;
    try {
      expect(await second.ended).toBe("cut");
    } finally {
      h.leases.stale = false;
      upstream.release();
    }
    await until(() => (h.gateway.inFlight() === 0 ? true : undefined));
  });
});

describe("operations", () => {
  it("answers /healthz and serves its metrics", async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    for (const name of [
      "leash_gateway_request_duration_seconds_bucket",
      "leash_gateway_requests_total",
      "leash_gateway_refusals_total",
      "leash_gateway_bytes_total",
      "leash_gateway_overhead_seconds_bucket",
    ]) {
      expect(text, name).toContain(name);
    }
  });
});

describe("shutdown", () => {
  it("lets a response in flight finish and writes its audit event; past the deadline it cuts what is left", async () => {
    const own = await startHarness({
      api: {
        url: upstream.url,
        auth: { type: "header", name: "x-key", secret: { vault_kv: "s/x", key: "k" } },
      },
    });
    const token = await own.token({ upstream: "api", resource: "hold", leaseId: "lease-shutdown" });
    const res = await fetch(`${own.url}/u/api/hold`, { headers: { authorization: `Bearer ${token}` } });
    const reader = res.body?.getReader();
    await reader?.read();
    const closing = own.gateway.close(AbortSignal.timeout(5_000));
    upstream.release();
    let total = 1024;
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      total += next.value.byteLength;
    }
    expect(total).toBe(2048);
    expect(await closing).toBe(true);
    expect(own.sink.events.find((e) => e.leaseId === "lease-shutdown")).toMatchObject({
      detail: { status: 200 },
    });

    const cut = await startHarness({
      api: {
        url: upstream.url,
        auth: { type: "header", name: "x-key", secret: { vault_kv: "s/x", key: "k" } },
      },
    });
    const held = await fetch(`${cut.url}/u/api/hold`, {
      headers: { authorization: `Bearer ${await cut.token({ upstream: "api", resource: "hold" })}` },
    });
    await held.body?.getReader().read();
    expect(await cut.gateway.close(AbortSignal.timeout(200))).toBe(false);
    upstream.release();
  });
});
