import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/** The public contract of API.md: each of these must be in the document. */
const CONTRACT = [
  "post /v1/tasks",
  "get /v1/tasks/{id}",
  "post /v1/tasks/{id}/complete",
  "post /v1/tasks/{id}/cancel",
  "post /v1/leases",
  "get /v1/leases/{id}",
  "delete /v1/leases/{id}",
  "get /v1/leases",
  "post /v1/revocations",
  "get /v1/revocations/{id}",
  "get /v1/agents/{agent}/exposure",
  "get /v1/audit",
  "get /v1/audit/verify",
  "get /.well-known/jwks.json",
  "post /v1/introspect",
  "get /healthz",
  "get /readyz",
];

/** Served routes that are not API operations and so are not documented as such. */
const NOT_OPERATIONS = /^\/(openapi\.json|docs|metrics|console|admin)(\/|$)/;

let t: TestApp;
let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  const res = await t.request("GET", "/openapi.json", null);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(() => t?.close());

function documented(): Set<string> {
  const ops = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of Object.keys(item)) ops.add(`${method} ${path}`);
  return ops;
}

describe("/openapi.json", () => {
  it("validates as OpenAPI 3.1", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("lists every operation of the public contract", () => {
    const ops = documented();
    expect(CONTRACT.filter((op) => !ops.has(op))).toEqual([]);
  });

  it("lists every route the app serves", () => {
    const ops = documented();
    const served = t.app.routes
      .filter((r) => r.method !== "ALL" && !NOT_OPERATIONS.test(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(CONTRACT.length);
    expect([...new Set(served)].filter((op) => !ops.has(op))).toEqual([]);
  });

  it("is browsable at /docs without internet access", async () => {
    const page = await t.request("GET", "/docs", null);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const res = await t.request("GET", asset[1] ?? "", null);
      expect(res.status, asset[1]).toBe(200);
    }
  });
});
