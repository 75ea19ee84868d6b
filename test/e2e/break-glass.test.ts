import { waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  agentId,
  msUntilInactive,
  ORCHESTRATOR,
  SECURITY,
  type Stack,
  startStack,
} from "../support/stack.js";

let stack: Stack;
let orch: string;
let security: string;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl") });
  orch = await stack.token(ORCHESTRATOR);
  security = await stack.token(SECURITY);
}, 60_000);
afterAll(() => stack?.stop());

interface LeaseView {
  state: string;
  revoked_at: string | null;
  revoke_reason: string | null;
}

/** A task for `name` reading docs/*, a grant on incident/* for `grantSeconds`, and a lease under the grant. */
async function leaseUnderGrant(name: string, grantSeconds: number) {
  const agent = await stack.token(agentId(name));
  const task = await stack.call("POST", "/v1/tasks", orch, {
    agent: agentId(name),
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  const { id: taskId } = (await task.json()) as { id: string };
  const grant = await stack.call("POST", "/v1/break-glass", security, {
    task_id: taskId,
    justification: "incident 9: read the logs",
    ttl_seconds: grantSeconds,
    ceiling: [{ action: "read", resource: "incident/*" }],
  });
  expect(grant.status).toBe(201);
  const g = (await grant.json()) as { id: string; expires_at: string };
  const res = await stack.call("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource: "incident/log", tool: "logs" },
    ttl_seconds: 120,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const lease = (await res.json()) as { lease_id: string; expires_at: string; credential: { token: string } };
  return { agent, grant: g, lease };
}

const leaseView = async (id: string, token: string) =>
  (await (await stack.call("GET", `/v1/leases/${id}`, token)).json()) as LeaseView;

describe("break-glass access ends when the grant ends", () => {
  it("a lease asked for 120 s under a 4 s grant dies at the grant's end, ended by the worker", async () => {
    const { agent, grant, lease } = await leaseUnderGrant("bg-expiry", 4);
    const grantEnd = Date.parse(grant.expires_at);
    expect(Date.parse(lease.expires_at)).toBeLessThanOrEqual(grantEnd);
    await msUntilInactive(stack, lease.credential.token, agent, 10_000);
    expect(Date.now() - grantEnd).toBeLessThan(1_000);
    const settled = await waitFor(
      async () => {
        const view = await leaseView(lease.lease_id, agent);
        // Past its expiry a lease reads `expired` at once; the worker's confirmation sets `revoked_at`.
        return view.state === "expired" && view.revoked_at !== null ? view : undefined;
      },
      { timeoutMs: 5_000, what: "the worker to expire the lease" },
    );
    expect(Date.parse(settled.revoked_at ?? "") - grantEnd).toBeLessThan(1_000);
  });

  it("closing the grant early kills its leases within 1 s, with cause break_glass_ended", async () => {
    const { agent, grant, lease } = await leaseUnderGrant("bg-close", 300);
    const started = Date.now();
    const closed = await stack.call("DELETE", `/v1/break-glass/${grant.id}`, security);
    expect(closed.status).toBe(202);
    expect(await closed.json()).toMatchObject({ state: "closed", revoking: 1 });
    await msUntilInactive(stack, lease.credential.token, agent);
    expect(Date.now() - started).toBeLessThan(1_000);
    const revoked = await waitFor(
      async () => {
        const view = await leaseView(lease.lease_id, agent);
        return view.state === "revoked" ? view : undefined;
      },
      { what: "the worker to revoke the lease" },
    );
    expect(revoked.revoke_reason).toBe("break_glass_ended");
  });
});
