import { newId } from "@leash/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/**
 * Task ids must not be probeable: an agent that names a task that is not its own gets exactly the answer it gets
 * for a task that does not exist (API.md, "Task not this agent's: 404 (as for an unknown task)").
 */
let t: TestApp;
let orch: string;
let owner: string;
let intruder: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  owner = await t.issuer.mint({ sub: "spiffe://t/agent/owner" });
  intruder = await t.issuer.mint({ sub: "spiffe://t/agent/intruder" });
});
afterAll(() => t?.close());

async function taskOf(agent: string): Promise<string> {
  const res = await t.request("POST", "/v1/tasks", orch, {
    agent,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The problem body with the request id dropped and the probed id replaced, so two answers can be compared. */
async function shape(res: Response, probedId: string) {
  const body = (await res.json()) as Record<string, unknown>;
  const { request_id: _requestId, ...rest } = body;
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    body: JSON.parse(JSON.stringify(rest).replaceAll(probedId, "<id>")) as Record<string, unknown>,
  };
}

const intent = { action: "read", resource: "docs/a" };
const UNKNOWN = "tk_does-not-exist";

describe("someone else's task answers exactly like an unknown one", () => {
  it("POST /v1/leases: 404 not_found with the same type, title and detail", async () => {
    const foreign = await taskOf("spiffe://t/agent/owner");
    const lease = (taskId: string, headers?: Record<string, string>) =>
      t.request("POST", "/v1/leases", intruder, { task_id: taskId, provider: "leash-jwt", intent }, headers);

    const unknown = await shape(await lease(UNKNOWN), UNKNOWN);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: "urn:leash:problem:not_found", title: "Not found" });
    expect(await shape(await lease(foreign), foreign)).toEqual(unknown);
    // With an Idempotency-Key too, and once the task has ended (its state is not revealed either).
    expect(await shape(await lease(foreign, { "idempotency-key": "k1" }), foreign)).toEqual(unknown);
    expect((await t.request("POST", `/v1/tasks/${foreign}/complete`, orch)).status).toBe(202);
    expect(await shape(await lease(foreign), foreign)).toEqual(unknown);
    // The owner still gets the truth about its own task.
    expect(
      (await t.request("POST", "/v1/leases", owner, { task_id: foreign, provider: "leash-jwt", intent }))
        .status,
    ).toBe(409);
  });

  it("POST /v1/tasks with a parent_id that is not the caller's: the same 404 as an unknown parent", async () => {
    const foreign = await taskOf("spiffe://t/agent/owner");
    await taskOf("spiffe://t/agent/intruder");
    const delegate = (parentId: string) =>
      t.request("POST", "/v1/tasks", intruder, {
        agent: "spiffe://t/agent/helper",
        ceiling: [{ action: "read", resource: "docs/*" }],
        ttl_seconds: 60,
        parent_id: parentId,
      });
    const unknown = await shape(await delegate(UNKNOWN), UNKNOWN);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: "urn:leash:problem:not_found" });
    expect(await shape(await delegate(foreign), foreign)).toEqual(unknown);
    // The orchestrator, which may see every task, still delegates from it.
    const byOrchestrator = await t.request("POST", "/v1/tasks", orch, {
      agent: "spiffe://t/agent/helper",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 60,
      parent_id: foreign,
    });
    expect(byOrchestrator.status).toBe(201);
  });

  it("POST /v1/approvals/{id}/redeem of an approval that is not the caller's: the same 404 as an unknown one", async () => {
    const taskId = await taskOf("spiffe://t/agent/owner");
    const now = Date.now();
    const foreign = newId("ap", now);
    await t.ctx.store.approvals.create({
      id: foreign,
      agent: "spiffe://t/agent/owner",
      taskId,
      provider: "leash-jwt",
      target: null,
      intent,
      ttlSeconds: undefined,
      requestHash: "h",
      state: "approved",
      reasons: ["needs-a-person"],
      createdAt: now,
      expiresAt: now + 60_000,
      decidedBy: "spiffe://t/security/sam",
      decidedAt: now,
      leaseId: null,
    });
    const redeem = (id: string) => t.request("POST", `/v1/approvals/${id}/redeem`, intruder);
    const unknown = await shape(await redeem("ap_unknown"), "ap_unknown");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: "urn:leash:problem:not_found" });
    expect(await shape(await redeem(foreign), foreign)).toEqual(unknown);
  });
});
