import type { Clock } from "@leash/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "./testing/test-app.js";

/**
 * A lease past its `expires_at` is never reported `active`, whatever the worker has done yet: it reads `expired`,
 * with `confirmed: false` until the worker has confirmed the end (API.md, GET /v1/leases/{id}). The clock is the
 * app's injected one, moved past the expiry; the worker is not running, so nothing is confirmed by itself.
 */
let t: TestApp;
let orch: string;
let agent: string;
let security: string;
let realClock: Clock;
const AGENT = "spiffe://t/agent/expiry";
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  realClock = t.ctx.broker.clock;
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: AGENT });
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

interface LeaseBody {
  lease_id: string;
  state: string;
  confirmed?: boolean;
  expires_at: string;
}

async function issue(ttlSeconds: number) {
  t.ctx.broker.clock = realClock;
  const task = await t.request("POST", "/v1/tasks", orch, {
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 3600,
  });
  expect(task.status, await task.clone().text()).toBe(201);
  const { id: taskId } = (await task.json()) as { id: string };
  const res = await t.request("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource: "docs/a" },
    ttl_seconds: ttlSeconds,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as LeaseBody & { credential: { token: string } };
  return {
    taskId,
    leaseId: body.lease_id,
    expiresAt: Date.parse(body.expires_at),
    token: body.credential.token,
  };
}

/** Moves the app's clock to `ms` (frozen there). */
function at(ms: number) {
  t.ctx.broker.clock = { now: () => ms };
}

async function json<T>(res: Response): Promise<T> {
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe("a lease past expires_at is expired, never active", () => {
  it("GET /v1/leases/{id}: active before, expired (confirmed: false) after, confirmed once the worker settles it", async () => {
    const { leaseId, expiresAt } = await issue(60);
    at(expiresAt - 1);
    const before = await json<LeaseBody>(await t.request("GET", `/v1/leases/${leaseId}`, agent));
    expect(before.state).toBe("active");
    expect(before.confirmed).toBeUndefined();

    at(expiresAt);
    expect(await json<LeaseBody>(await t.request("GET", `/v1/leases/${leaseId}`, agent))).toMatchObject({
      state: "expired",
      confirmed: false,
    });
    expect(await json<LeaseBody>(await t.request("GET", `/v1/leases/${leaseId}`, security))).toMatchObject({
      state: "expired",
      confirmed: false,
    });

    expect(await t.ctx.store.leases.markExpired(leaseId, expiresAt + 50)).toBe(true);
    expect(await json<LeaseBody>(await t.request("GET", `/v1/leases/${leaseId}`, agent))).toMatchObject({
      state: "expired",
      confirmed: true,
    });
  });

  it("GET /v1/leases: listed as expired; ?state=active leaves it out, ?state=expired includes it", async () => {
    const { taskId, leaseId, expiresAt } = await issue(60);
    const list = async (query: string) =>
      (
        await json<{ items: LeaseBody[] }>(
          await t.request("GET", `/v1/leases?task_id=${taskId}${query}`, security),
        )
      ).items;
    at(expiresAt + 1000);
    expect(await list("")).toEqual([
      expect.objectContaining({ lease_id: leaseId, state: "expired", confirmed: false }),
    ]);
    expect(await list("&state=active")).toEqual([]);
    expect(await list("&state=expired")).toEqual([
      expect.objectContaining({ lease_id: leaseId, confirmed: false }),
    ]);
    at(expiresAt - 1000);
    expect(await list("&state=active")).toEqual([
      expect.objectContaining({ lease_id: leaseId, state: "active" }),
    ]);
    expect(await list("&state=expired")).toEqual([]);
  });

  it("exposure keeps an unconfirmed one (it may still work at the provider) but shows it expired", async () => {
    const { leaseId, expiresAt } = await issue(60);
    at(expiresAt + 1000);
    const exposure = await json<{ live: LeaseBody[] }>(
      await t.request("GET", `/v1/agents/${encodeURIComponent(AGENT)}/exposure`, security),
    );
    expect(exposure.live).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ lease_id: leaseId, state: "expired", confirmed: false }),
      ]),
    );
    expect(
      exposure.live.some((l) => l.state === "active" && Date.parse(l.expires_at) <= expiresAt + 1000),
    ).toBe(false);
  });

  it("introspection says inactive from expires_at on, by the same clock", async () => {
    const { expiresAt, token } = await issue(60);
    const introspect = async () =>
      (
        await json<{ active: boolean }>(
          await t.request("POST", "/v1/introspect", security, `token=${token}`, {
            "content-type": "application/x-www-form-urlencoded",
          }),
        )
      ).active;
    at(expiresAt - 1000);
    expect(await introspect()).toBe(true);
    at(expiresAt);
    expect(await introspect()).toBe(false);
  });
});
