import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

let t: TestApp;
let orch: string;
let agent: string;
let security: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/a" });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

async function invalid(res: Response, path: string, rule: string) {
  const body = (await res.json()) as { type: string; detail: string };
  expect({ status: res.status, type: body.type }).toEqual({
    status: 400,
    type: "urn:leash:problem:invalid_request",
  });
  expect(body.detail).toContain(path);
  expect(body.detail).toContain(rule);
  return body;
}

async function newTask(ceiling: unknown[]) {
  const res = await t.request("POST", "/v1/tasks", orch, {
    agent: "spiffe://t/agent/a",
    ceiling,
    ttl_seconds: 600,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const lease = (taskId: string, resource: string) =>
  t.request("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource },
  });

/** A request with each spelling, and the rule its refusal must name. */
const ESCAPES: Array<[string, string]> = [
  ["docs/../secrets/key", "dot_segment"],
  ["docs/./a", "dot_segment"],
  ["docs/..", "dot_segment"],
  ["docs/%2e%2e/secrets/key", "percent_encoding"],
  ["docs/..%2fsecrets", "percent_encoding"],
  ["docs/..\\secrets\\key", "backslash"],
  ["docs//a", "empty_segment"],
  ["/docs/a", "empty_segment"],
  ["docs/\u2024\u2024/secrets", "lookalike"],
  ["docs/\uff0e\uff0e/secrets", "lookalike"],
  ["docs/..\uff0fsecrets", "lookalike"],
  ["docs/..\u2215secrets", "lookalike"],
  ["docs/\u200b../secrets", "invisible"],
  ["docs/a\u0000", "invisible"],
  ["docs/a\nb", "invisible"],
  ["docs/\u202e", "invisible"],
  ["docs/cafe\u0301", "not_nfc"],
  ["docs/*", "wildcard"],
];

describe("a ceiling cannot be escaped through the resource string (issue 10)", () => {
  it("a request for docs/../secrets/key under docs/* is 400 invalid_request naming the rule, and mints nothing", async () => {
    const taskId = await newTask([{ action: "read", resource: "docs/*" }]);
    const body = await invalid(await lease(taskId, "docs/../secrets/key"), "intent.resource", "dot_segment");
    expect(body.detail).not.toContain("secrets/key"); // the refused value is not echoed
    const listed = await t.request("GET", `/v1/leases?task_id=${taskId}`, security);
    expect(((await listed.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("every other spelling of the trick is refused at the edge with its rule", async () => {
    const taskId = await newTask([{ action: "read", resource: "docs/*" }]);
    for (const [resource, rule] of ESCAPES) {
      await invalid(await lease(taskId, resource), "intent.resource", rule);
    }
  });

  it("canonical requests under the ceiling still work, including a prefix at least as wide", async () => {
    const taskId = await newTask([{ action: "read", resource: "docs/*" }]);
    for (const resource of ["docs/a.md", "docs/.well-known/x", "docs/a..b", "docs/sub/", "docs/", "docs/é"]) {
      expect((await lease(taskId, resource)).status, resource).toBe(201);
    }
    // A prefix wider than the ceiling is not inside it.
    expect((await lease(taskId, "doc/")).status).toBe(403);
  });

  it("ceilings follow the same grammar: task registration and break-glass name the entry and the rule", async () => {
    for (const [resource, rule] of [
      ["docs/../*", "dot_segment"],
      ["docs//*", "empty_segment"],
      ["docs/%2e*", "percent_encoding"],
      ["docs/.*", "dot_segment"],
      ["do*cs/*", "wildcard"],
    ] as const) {
      const res = await t.request("POST", "/v1/tasks", orch, {
        agent: "spiffe://t/agent/a",
        ceiling: [
          { action: "read", resource: "ok/*" },
          { action: "read", resource },
        ],
        ttl_seconds: 600,
      });
      await invalid(res, "ceiling.1.resource", rule);
    }
    const taskId = await newTask([{ action: "read", resource: "docs/*" }]);
    const res = await t.request("POST", "/v1/break-glass", security, {
      task_id: taskId,
      justification: "incident 42: need the secrets",
      ttl_seconds: 60,
      ceiling: [{ action: "read", resource: "docs/../secrets/*" }],
    });
    await invalid(res, "ceiling.0.resource", "dot_segment");
  });

  it("a delegated sub-task cannot widen its parent through a non-canonical ceiling", async () => {
    const parent = await newTask([{ action: "read", resource: "docs/*" }]);
    const res = await t.request("POST", "/v1/tasks", agent, {
      agent: "spiffe://t/agent/b",
      parent_id: parent,
      ceiling: [{ action: "read", resource: "docs/../*" }],
      ttl_seconds: 60,
    });
    await invalid(res, "ceiling.0.resource", "dot_segment");
  });

  it("the OpenAPI document states the grammar on resource", async () => {
    const res = await t.request("GET", "/openapi.json", null);
    const text = JSON.stringify(await res.json());
    expect(text).toContain("no '.' or '..' segment");
  });
});
