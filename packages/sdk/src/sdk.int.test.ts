import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../../../test/support/stack.js";
import { createLeashClient } from "./client.js";
import { LeashApiError } from "./errors.js";
import { createTokenVerifier } from "./verifier.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
}, 60_000);
afterAll(() => stack?.stop());

describe("the SDK against a running broker", () => {
  it("drives task -> lease -> verify and introspect -> complete -> the token is dead", async () => {
    const agent = agentId("sdk");
    const orchestrator = createLeashClient({ baseUrl: stack.api, token: () => stack.token(ORCHESTRATOR) });
    const agentClient = createLeashClient({ baseUrl: stack.api, token: () => stack.token(agent) });
    const security = createLeashClient({ baseUrl: stack.api, token: await stack.token(SECURITY) });

    const registration = {
      agent,
      ceiling: [{ action: "read", resource: "docs/*", tool: "docs-api" }],
      ttl_seconds: 600,
    };
    const task = await orchestrator.registerTask(registration);
    expect(task).toMatchObject({ agent, state: "active" });
    // what a retry of that call sends (the id the SDK chose) is the same task, not a second one
    expect(await orchestrator.registerTask({ ...registration, id: task.id })).toEqual(task);
    expect((await orchestrator.getTask(task.id)).id).toBe(task.id);

    const grant = await agentClient.requestLease(
      {
        task_id: task.id,
        provider: "leash-jwt",
        intent: { action: "read", resource: "docs/a.md", tool: "docs-api" },
      },
      { idempotencyKey: `sdk-${task.id}` },
    );
    if (grant.state !== "active") throw new Error("expected an issued lease");
    const token = String(grant.credential.token);
    // a replay with the same key returns the same lease instead of minting a second one
    const replay = await agentClient.requestLease(
      {
        task_id: task.id,
        provider: "leash-jwt",
        intent: { action: "read", resource: "docs/a.md", tool: "docs-api" },
      },
      { idempotencyKey: `sdk-${task.id}` },
    );
    expect(replay.state === "active" && replay.lease_id).toBe(grant.lease_id);

    const verifier = createTokenVerifier({
      jwksUrl: `${stack.api}/.well-known/jwks.json`,
      issuer: stack.api,
      audience: "docs-api",
      introspect: { baseUrl: stack.api, token: () => stack.token(agentId("docs-tool")) },
    });
    expect(await verifier.verify(token)).toMatchObject({
      active: true,
      claims: { jti: grant.lease_id, sub: agent, scope: "read:docs/a.md", task_id: task.id },
    });
    expect(await agentClient.introspect(token)).toMatchObject({ active: true, jti: grant.lease_id });
    expect((await security.exposure(agent)).live.map((l) => l.lease_id)).toEqual([grant.lease_id]);

    expect(await orchestrator.completeTask(task.id)).toEqual({
      id: task.id,
      state: "completed",
      revoking: 1,
    });
    expect(await agentClient.introspect(token)).toEqual({ active: false });
    expect(await verifier.verify(token)).toMatchObject({ active: false, reason: "revoked" });
    // the worker marks the lease revoked
    await vi.waitFor(async () => expect((await agentClient.getLease(grant.lease_id)).state).toBe("revoked"), {
      timeout: 5_000,
      interval: 50,
    });
  });

  it("maps a denial to a LeashApiError with the problem fields", async () => {
    const agentClient = createLeashClient({
      baseUrl: stack.api,
      token: await stack.token(agentId("nobody")),
    });
    const error = (await agentClient.getTask("tk_does_not_exist").catch((e: unknown) => e)) as LeashApiError;
    expect(error).toBeInstanceOf(LeashApiError);
    expect(error.status).toBe(404);
    expect(error.code).toBe("not_found");
    expect(error.request_id).toEqual(expect.any(String));

    const forbidden = await agentClient.listLeases().catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ status: 403, code: "forbidden" });
  });
});
