import { type DevVault, startDevVault, waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";

let vault: DevVault;
let stack: Stack;
beforeAll(async () => {
  vault = await startDevVault();
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    config: { providers: { vault: vault.providerConfig } },
    env: vault.env,
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await vault?.emulator.stop();
});

async function lookupSelf(token: string): Promise<number> {
  const res = await fetch(`${vault.emulator.url}/v1/auth/token/lookup-self`, {
    headers: { "x-vault-token": token },
  });
  await res.text();
  return res.status;
}

async function setup(name: string) {
  const orch = await stack.token(ORCHESTRATOR);
  const agent = await stack.token(agentId(name));
  const res = await stack.call("POST", "/v1/tasks", orch, {
    agent: agentId(name),
    ceiling: [
      { action: "read", resource: "secret/*" },
      { action: "read", resource: "db/*" },
    ],
    ttl_seconds: 600,
  });
  const { id } = (await res.json()) as { id: string };
  return { orch, agent, taskId: id };
}

describe("vault provider through the public API", () => {
  it("a token lease works at Vault, and stops working within 1 s of task completion", async () => {
    const { orch, agent, taskId } = await setup("vault-token");
    const res = await stack.call("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "vault",
      target: "kv-reader",
      intent: { action: "read", resource: "secret/app" },
    });
    expect(res.status).toBe(201);
    const lease = (await res.json()) as { credential: { token: string } };
    expect(await lookupSelf(lease.credential.token)).toBe(200);
    const started = Date.now();
    await stack.call("POST", `/v1/tasks/${taskId}/complete`, orch);
    await waitFor(async () => ((await lookupSelf(lease.credential.token)) === 403 ? true : undefined), {
      what: "the Vault token to be revoked",
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("a mass revocation of a token target revokes every one of its tokens", async () => {
    const { agent, taskId } = await setup("vault-mass");
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await stack.call("POST", "/v1/leases", agent, {
        task_id: taskId,
        provider: "vault",
        target: "kv-reader",
        intent: { action: "read", resource: `secret/mass-${i}` },
      });
      expect(res.status).toBe(201);
      tokens.push(((await res.json()) as { credential: { token: string } }).credential.token);
    }
    const security = await stack.token(SECURITY);
    const order = await stack.call("POST", "/v1/revocations", security, {
      selector: { target: "kv-reader" },
      reason: "drill",
    });
    expect(order.status).toBe(202);
    const { id } = (await order.json()) as { id: string };
    const done = await waitFor(
      async () => {
        const c = (await (await stack.call("GET", `/v1/revocations/${id}`, security)).json()) as {
          state: string;
          revoked: number;
        };
        return c.state === "running" ? undefined : c;
      },
      { timeoutMs: 15_000, what: "the campaign" },
    );
    expect(done.state).toBe("done");
    for (const token of tokens) expect(await lookupSelf(token)).toBe(403);
  });

  it("a dynamic secret's database user disappears when the agent returns the lease", async () => {
    const { agent, taskId } = await setup("vault-db");
    const res = await stack.call("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "vault",
      target: "db-readonly",
      intent: { action: "read", resource: "db/orders" },
    });
    expect(res.status).toBe(201);
    const lease = (await res.json()) as {
      lease_id: string;
      credential: { data: { username: string }; vault_lease_id: string };
    };
    expect(lease.credential.vault_lease_id).toMatch(/^database\/creds\/readonly\//);
    const user = async () =>
      (await fetch(`${vault.emulator.url}/__admin/database/users/${lease.credential.data.username}`)).status;
    expect(await user()).toBe(200);
    await stack.call("DELETE", `/v1/leases/${lease.lease_id}`, agent);
    await waitFor(async () => ((await user()) === 404 ? true : undefined), {
      what: "the database user to be dropped",
    });
  });

  it("an unknown target is a 400 problem and nothing is minted", async () => {
    const { agent, taskId } = await setup("vault-bad");
    const res = await stack.call("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "vault",
      target: "nope",
      intent: { action: "read", resource: "secret/app" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe("urn:leash:problem:unknown_target");
  });

  it("a Vault outage during revocation leaves the lease revoke_failed, retrying, until it ends revoked", async () => {
    const { orch, agent, taskId } = await setup("vault-outage");
    const res = await stack.call("POST", "/v1/leases", agent, {
      task_id: taskId,
      provider: "vault",
      target: "kv-reader",
      intent: { action: "read", resource: "secret/app" },
    });
    const lease = (await res.json()) as { lease_id: string; credential: { token: string } };
    vault.emulator.faults.set({ fail_next: 3, status: 503 });
    await stack.call("POST", `/v1/tasks/${taskId}/complete`, orch);
    const state = async () =>
      ((await (await stack.call("GET", `/v1/leases/${lease.lease_id}`, agent)).json()) as { state: string })
        .state;
    await waitFor(async () => ((await state()) === "revoke_failed" ? true : undefined), {
      what: "revoke_failed to show",
    });
    await waitFor(async () => ((await state()) === "revoked" ? true : undefined), {
      timeoutMs: 15_000,
      what: "the retry to succeed",
    });
    expect(await lookupSelf(lease.credential.token)).toBe(403);
  });
});
