import { createHash } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../wait-for.js";
import { type ApiEmulator, startApiEmulator } from "./index.js";

const KEY = "demo-api-key-0123456789";
let api: ApiEmulator;

beforeAll(async () => {
  api = await startApiEmulator({
    apiKey: KEY,
    issues: { "leash-dev/demo": [{ title: "First issue", body: "seeded" }] },
  });
});

afterAll(async () => {
  await api?.close();
});

const auth = { authorization: `Bearer ${KEY}` };

function lastFor(path: string) {
  return api.received.findLast((r) => r.path === path);
}

/** A request written byte for byte, with exactly the header lines given (fetch would merge some of them). */
function rawGet(path: string, headers: [string, string][]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(api.port, "127.0.0.1");
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on("error", reject);
    const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join("");
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Connection: close\r\n\r\n`);
  });
}

describe("API emulator: the key", () => {
  it("answers 401 without the key or with another, and records both attempts with every header as received", async () => {
    const none = await fetch(`${api.url}/repos/leash-dev/demo/issues`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: "Requires authentication" });
    const wrong = await fetch(`${api.url}/repos/leash-dev/demo/issues?page=2&page=3`, {
      headers: { authorization: "Bearer agent-token", "X-Trace": "t1" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ message: "Bad credentials" });
    const seen = lastFor("/repos/leash-dev/demo/issues");
    expect(seen).toMatchObject({
      method: "GET",
      target: "/repos/leash-dev/demo/issues?page=2&page=3",
      query: [
        ["page", "2"],
        ["page", "3"],
      ],
      authorized: false,
      status: 401,
    });
    expect(seen?.headers).toContainEqual(["authorization", "Bearer agent-token"]);
    expect(seen?.headers).toContainEqual(["X-Trace", "t1"]); // names as sent, not lower-cased
  });

  it("accepts exactly `Bearer <key>`, and refuses a second Authorization header even when one is right", async () => {
    const ok = await fetch(`${api.url}/repos/leash-dev/demo/issues`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(lastFor("/repos/leash-dev/demo/issues")?.authorized).toBe(true);
    const doubled = await rawGet("/repos/leash-dev/demo/issues", [
      ["authorization", `Bearer ${KEY}`],
      ["authorization", "Bearer agent-token"],
    ]);
    expect(doubled).toBe(401);
  });

  it("takes the key from a named header or a query parameter instead", async () => {
    const byHeader = await startApiEmulator({ apiKey: KEY, header: "x-api-key" });
    const byQuery = await startApiEmulator({ apiKey: KEY, query: "api_key" });
    try {
      expect((await fetch(`${byHeader.url}/echo-headers`, { headers: { "x-api-key": KEY } })).status).toBe(
        200,
      );
      expect((await fetch(`${byHeader.url}/echo-headers`, { headers: auth })).status).toBe(401);
      expect((await fetch(`${byQuery.url}/echo-headers?api_key=${KEY}`)).status).toBe(200);
      expect((await fetch(`${byQuery.url}/echo-headers?api_key=${KEY}&api_key=x`)).status).toBe(401);
      expect((await fetch(`${byQuery.url}/echo-headers`, { headers: auth })).status).toBe(401);
    } finally {
      await Promise.all([byHeader.close(), byQuery.close()]);
    }
  });

  it("clear() forgets what was recorded; maxRecords keeps only the latest", async () => {
    const small = await startApiEmulator({ apiKey: KEY, maxRecords: 2 });
    try {
      for (const n of [1, 2, 3]) await fetch(`${small.url}/slow?ms=${n}`, { headers: auth });
      expect(small.received.map((r) => r.target)).toEqual(["/slow?ms=2", "/slow?ms=3"]);
      small.clear();
      expect(small.received).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe("API emulator: routes for the gateway's tests", () => {
  it("/echo-headers echoes every request header in x-echo-* response headers and in the body", async () => {
    const res = await fetch(`${api.url}/echo-headers`, { headers: { ...auth, "x-custom": "v1" } });
    expect(res.headers.get("x-echo-authorization")).toBe(`Bearer ${KEY}`);
    expect(res.headers.get("x-echo-x-custom")).toBe("v1");
    const body = (await res.json()) as { headers: Record<string, string> };
    expect(body.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(body.headers["x-custom"]).toBe("v1");
  });

  it("/redirect?to= answers 302 to another origin", async () => {
    const res = await fetch(
      `${api.url}/redirect?to=${encodeURIComponent("http://elsewhere.example/steal")}`,
      {
        headers: auth,
        redirect: "manual",
      },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://elsewhere.example/steal");
    expect((await fetch(`${api.url}/redirect?to=nope`, { headers: auth })).status).toBe(400);
  });

  it("/bytes/<n> streams n bytes of a known pattern (byte i is i mod 256) with a Content-Length", async () => {
    const res = await fetch(`${api.url}/bytes/300000`, { headers: auth });
    expect(res.headers.get("content-length")).toBe("300000");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(300_000);
    expect(bytes.every((b, i) => b === (i & 0xff))).toBe(true);
    expect(lastFor("/bytes/300000")).toMatchObject({ bytesOut: 300_000, aborted: false, status: 200 });
  });

  it("/bytes/<n>?rate= paces the stream (bytes per second)", async () => {
    const started = performance.now();
    const res = await fetch(`${api.url}/bytes/100000?rate=200000`, { headers: auth });
    expect((await res.arrayBuffer()).byteLength).toBe(100_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(450); // 100 kB at 200 kB/s
  });

  it("a client that goes away stops the stream: the record says aborted, having sent only part", async () => {
    const controller = new AbortController();
    const res = await fetch(`${api.url}/bytes/104857600?rate=2000000`, {
      headers: auth,
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    const record = await waitFor(() => {
      const r = lastFor("/bytes/104857600");
      return r?.aborted ? r : undefined;
    });
    expect(record.bytesOut).toBeLessThan(104_857_600);
  });

  it("streams 128 MiB only as fast as it is read (backpressure), so it never holds more than the socket's buffers", async () => {
    let total = 0;
    let ahead = 0;
    const res = await fetch(`${api.url}/bytes/134217728`, { headers: auth });
    const record = lastFor("/bytes/134217728");
    const reader = res.body?.getReader();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      total += chunk.value.byteLength;
      // What was written but not yet read sits in socket and stream buffers; a writer ignoring backpressure
      // would have queued the whole body in memory before the first read.
      ahead = Math.max(ahead, (record?.bytesOut ?? 0) - total);
    }
    expect(total).toBe(134_217_728);
    expect(ahead).toBeLessThan(16 * 1024 * 1024);
  });

  it("/slow?ms= answers after the delay; a client that leaves first is recorded as aborted", async () => {
    const res = await fetch(`${api.url}/slow?ms=20`, { headers: auth });
    expect(await res.json()).toEqual({ slept_ms: 20 });
    await expect(
      fetch(`${api.url}/slow?ms=60000`, { headers: auth, signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
    await waitFor(() => (lastFor("/slow")?.aborted ? true : undefined));
  });

  it("/upload reads a body of any size as it arrives and answers its length and SHA-256", async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 7);
    const res = await fetch(`${api.url}/upload`, { method: "PUT", headers: auth, body });
    expect(await res.json()).toEqual({
      bytes: body.length,
      sha256: createHash("sha256").update(body).digest("hex"),
    });
  });
});

describe("API emulator: JSON resources", () => {
  it("lists, creates, reads, updates and deletes issues of a repository", async () => {
    const url = `${api.url}/repos/leash-dev/demo/issues`;
    const seeded = (await (await fetch(url, { headers: auth })).json()) as {
      number: number;
      title: string;
    }[];
    expect(seeded).toEqual([expect.objectContaining({ number: 1, title: "First issue", state: "open" })]);
    const created = await fetch(url, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ title: "From the agent", body: "hello" }),
    });
    expect(created.status).toBe(201);
    const issue = (await created.json()) as { number: number };
    expect(issue).toMatchObject({ number: 2, title: "From the agent", body: "hello", state: "open" });
    const patched = await fetch(`${url}/2`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ state: "closed" }),
    });
    expect(await patched.json()).toMatchObject({ number: 2, state: "closed", title: "From the agent" });
    expect((await fetch(`${url}/2`, { headers: auth, method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${url}/2`, { headers: auth, method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${url}/2`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${api.url}/repos/other/repo/issues`, { headers: auth })).status).toBe(200);
  });

  it("refuses bad JSON (400), an oversized body (413), an unknown path (404) and a wrong verb (405)", async () => {
    const url = `${api.url}/repos/leash-dev/demo/issues`;
    const post = (body: string) => fetch(url, { method: "POST", headers: auth, body });
    expect((await post("{")).status).toBe(400);
    expect((await post(JSON.stringify({ body: "no title" }))).status).toBe(422);
    expect((await post(JSON.stringify({ title: "x".repeat(2 * 1024 * 1024) }))).status).toBe(413);
    expect((await fetch(`${api.url}/nowhere`, { headers: auth })).status).toBe(404);
    expect((await fetch(url, { method: "PUT", headers: auth, body: "{}" })).status).toBe(405);
  });
});
