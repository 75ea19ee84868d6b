import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";

// Over a real socket, so the Node-server fast path (not the in-process fallback) is what answers.
let t: TestApp;
let server: ServerType;
let base: string;
let orch: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t?.close();
});

const task = {
  agent: "spiffe://t/agent/a",
  ceiling: [{ action: "read", resource: "docs/*" }],
  ttl_seconds: 60,
};

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/v1/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${orch}`, "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { type?: string; id?: string } };
}

/** A chunked upload (no content-length), which only counting the bytes can stop. */
function postChunked(chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${orch}`, "content-type": "application/json" },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("request bodies over a real socket", () => {
  it("parses a JSON body once and validates it", async () => {
    const res = await post(JSON.stringify(task));
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^tk_/);
  });

  it("answers malformed JSON with malformed_json", async () => {
    const res = await post('{"agent": ');
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("urn:leash:problem:malformed_json");
  });

  it("refuses a body over the limit by its declared length, and a chunked one by counting", async () => {
    const big = JSON.stringify({ ...task, labels: { pad: "x".repeat(5000) } });
    expect((await post(big)).body.type).toBe("urn:leash:problem:payload_too_large");
    const chunked = await postChunked([big.slice(0, 3000), big.slice(3000)]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).type).toBe("urn:leash:problem:payload_too_large");
  });

  it("accepts a chunked body under the limit", async () => {
    const body = JSON.stringify(task);
    const res = await postChunked([body.slice(0, 10), body.slice(10)]);
    expect(res.status).toBe(201);
  });

  it("still reads forms through the standard path (introspection)", async () => {
    const res = await fetch(`${base}/v1/introspect`, {
      method: "POST",
      headers: { authorization: `Bearer ${orch}`, "content-type": "application/x-www-form-urlencoded" },
      body: "token=not-a-token",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
  });
});
