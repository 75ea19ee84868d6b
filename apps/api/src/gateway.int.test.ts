import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGatewayTokenVerifier, GatewayConfig } from "@leash/providers";
import { connectRedis, createLiveLeaseView, type LiveLeaseView } from "@leash/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startRevoker, waitFor } from "./testing/oauth-app.js";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/**
 * Gateway leases through the API: the agent gets a gateway token and base_url (never an upstream secret), and
 * ending the task revokes the lease through the revoke queue like any other provider's: the revocation is recorded
 * for the gateways (a live lease view sees it ended) and the lease gets its `lease.revoked` receipt.
 */
const AGENT = "spiffe://t/agent/gw";
const gateway = GatewayConfig.parse({
  upstreams: {
    api: {
      url: "http://127.0.0.1:9/v1",
      auth: { type: "header", name: "x-api-key", secret: { vault_kv: "secret/api", key: "key" } },
    },
  },
  vault: { address: "http://127.0.0.1:8200", auth: { method: "token", token_env: "GW_VAULT_TOKEN" } },
});

const PREFIX = `gw-api:{${randomUUID()}}:`;
let t: TestApp;
let gatewayUrl: string;
let healthy = false;
let fakeGateway: Server;
let orch: string;
let agent: string;
beforeAll(async () => {
  // Stands in for the gateway process: the API's readiness asks it for /healthz.
  fakeGateway = createServer((req, res) => {
    res.statusCode = req.url === "/healthz" && healthy ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => fakeGateway.listen(0, "127.0.0.1", resolve));
  gatewayUrl = `http://127.0.0.1:${(fakeGateway.address() as AddressInfo).port}`;
  const env = { LEASH_GATEWAY_PUBLIC_URL: `${gatewayUrl}/`, LEASH_REDIS_PREFIX: PREFIX };
  t = await createTestApp(inject("redisUrl"), env, { gateway });
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: AGENT });
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => fakeGateway?.close(resolve));
});

async function newTask(): Promise<string> {
  const res = await t.request("POST", "/v1/tasks", orch, {
    agent: AGENT,
    ceiling: [
      { action: "read", resource: "repos/*" },
      { action: "list", resource: "repos/*" },
    ],
    ttl_seconds: 600,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const lease = (taskId: string, body: Record<string, unknown> = {}) =>
  t.request("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider: "gateway",
    target: "api",
    intent: { action: "read", resource: "repos/leash/" },
    ...body,
  });

describe("gateway leases", () => {
  it("POST /v1/leases returns {token, token_type, base_url} for the upstream; the token verifies there only", async () => {
    const res = await lease(await newTask());
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as {
      lease_id: string;
      provider: string;
      credential: Record<string, string>;
    };
    expect(body.provider).toBe("gateway");
    expect(Object.keys(body.credential).sort()).toEqual(["base_url", "token", "token_type"]);
    expect(body.credential).toMatchObject({ token_type: "Bearer", base_url: `${gatewayUrl}/u/api/` });
    expect(JSON.stringify(body)).not.toContain("secret/api");

    const verifier = createGatewayTokenVerifier({
      keys: t.ctx.signingKeys,
      issuer: t.ctx.publicUrl,
      publicUrl: gatewayUrl,
    });
    const grant = await verifier.verify(body.credential.token ?? "", "api");
    expect(grant).toMatchObject({
      leaseId: body.lease_id,
      agent: AGENT,
      upstream: "api",
      action: "read",
      resource: "repos/leash/",
      methods: ["GET", "HEAD"],
    });
    await expect(verifier.verify(body.credential.token ?? "", "other")).rejects.toThrow(/upstream/);

    const view = await t.request("GET", `/v1/leases/${body.lease_id}`, agent);
    expect(await view.json()).toMatchObject({ provider: "gateway", target: "api", state: "active" });
  });

  it("refuses an unknown upstream, a missing target and an action the upstream has no method for", async () => {
    const taskId = await newTask();
    const problem = async (res: Response) => ((await res.json()) as { type: string }).type;
    const unknown = await lease(taskId, { target: "slack" });
    expect(unknown.status).toBe(400);
    expect(await problem(unknown)).toBe("urn:leash:problem:unknown_target");
    const missing = await lease(taskId, { target: undefined });
    expect(await problem(missing)).toBe("urn:leash:problem:unknown_target");
    const list = await lease(taskId, { intent: { action: "list", resource: "repos/" } });
    expect(list.status).toBe(403);
    expect(await problem(list)).toBe("urn:leash:problem:provider_access_denied");
  });

  it("completing the task revokes the lease through the queue: the gateways see it ended, with a receipt", async () => {
    const stopRevoker = startRevoker(t, inject("redisUrl"));
    const subscriber = connectRedis(inject("redisUrl"), { mode: "worker" });
    const viewRedis = connectRedis(inject("redisUrl"), { mode: "worker" });
    const liveView: LiveLeaseView = createLiveLeaseView(
      { redis: viewRedis, subscriber, prefix: PREFIX },
      { staleMs: 1_000, clock: t.ctx.broker.clock },
    );
    try {
      await liveView.start(AbortSignal.timeout(5_000));
      const taskId = await newTask();
      const res = await lease(taskId);
      const { lease_id: leaseId, issued_at } = (await res.json()) as { lease_id: string; issued_at: string };
      const grant = { leaseId, upstream: "api", issuedAt: Date.parse(issued_at) };
      expect(liveView.status(grant)).toBe("live");

      const done = await t.request("POST", `/v1/tasks/${taskId}/complete`, orch);
      expect(await done.json()).toMatchObject({ state: "completed", revoking: 1 });
      await waitFor(async () => (liveView.status(grant) === "ended" ? true : undefined), 5_000, "ended");
      const view = await waitFor(
        async () => {
          const body = (await (await t.request("GET", `/v1/leases/${leaseId}`, agent)).json()) as {
            state: string;
            revoke_reason: string;
          };
          return body.state === "revoked" ? body : undefined;
        },
        5_000,
        "revoked",
      );
      expect(view.revoke_reason).toBe("task_completed");
      const receipts = await waitFor(
        async () => {
          const items = (await t.ctx.store.audit.read("-", 1_000)).filter(
            (e) => e.leaseId === leaseId && e.type === "lease.revoked",
          );
          return items.length > 0 ? items : undefined;
        },
        5_000,
        "the receipt",
      );
      expect(receipts).toHaveLength(1);
      expect(receipts[0]).toMatchObject({ type: "lease.revoked", leaseId, cause: "task_completed" });
      expect(receipts[0]?.confirmedAt).toBeGreaterThanOrEqual(receipts[0]?.orderedAt ?? Number.NaN);
    } finally {
      await liveView.close();
      await viewRedis.quit();
      await stopRevoker();
    }
  });
});

describe("readiness with a gateway configured", () => {
  it("/readyz is 503 until the gateway answers /healthz", async () => {
    await t.ctx.store.workers.beat("w-test");
    healthy = false;
    const down = await t.request("GET", "/readyz", null);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ok: false, redis: true, worker: true, gateway: false });
    healthy = true;
    const up = await t.request("GET", "/readyz", null);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true, redis: true, worker: true, gateway: true });
    await t.ctx.store.workers.leave("w-test");
  });
});
