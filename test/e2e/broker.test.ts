import { type Lease, newId } from "@leash/core";
import { waitFor } from "@leash/devstack";
import { connectRedis } from "@leash/store";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedActiveLeases } from "../support/seed.js";
import {
  agentId,
  msUntilInactive,
  ORCHESTRATOR,
  SECURITY,
  type Stack,
  startStack,
} from "../support/stack.js";
import { storeOf } from "../support/store.js";

let stack: Stack;
let orch: string;
let security: string;
const issuedSecrets: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject("redisUrl"),
    // The grace must exceed the mint timeout (start-up refuses it otherwise).
    env: {
      LEASH_MINT_TIMEOUT_MS: "1500",
      LEASH_PENDING_GRACE_MS: "2000",
      LEASH_RECONCILE_INTERVAL_MS: "300",
    },
  });
  orch = await stack.token(ORCHESTRATOR);
  security = await stack.token(SECURITY);
  issuedSecrets.push(orch, security);
}, 60_000);
afterAll(() => stack?.stop());

async function agentToken(name: string) {
  const token = await stack.token(agentId(name));
  issuedSecrets.push(token);
  return token;
}

async function task(agent: string, body: Record<string, unknown> = {}) {
  const res = await stack.call("POST", "/v1/tasks", orch, {
    agent: agentId(agent),
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
    ...body,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

async function lease(token: string, taskId: string, extra: Record<string, unknown> = {}) {
  const res = await stack.call("POST", "/v1/leases", token, {
    task_id: taskId,
    provider: "leash-jwt",
    intent: { action: "read", resource: "docs/a.md", tool: "docs-api" },
    ...extra,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { lease_id: string; expires_at: string; credential: { token: string } };
  issuedSecrets.push(body.credential.token);
  return body;
}

describe("property 1: no credential outlives its lease", () => {
  it("completion makes the task token inactive within 1 s", async () => {
    const agent = await agentToken("complete");
    const t = await task("complete");
    const l = await lease(agent, t.id);
    const started = Date.now();
    const done = await stack.call("POST", `/v1/tasks/${t.id}/complete`, orch);
    expect(done.status).toBe(202);
    expect(await done.json()).toEqual({ id: t.id, state: "completed", revoking: 1 });
    await msUntilInactive(stack, l.credential.token, agent);
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitFor(
      async () => {
        const res = await stack.call("GET", `/v1/leases/${l.lease_id}`, agent);
        return ((await res.json()) as { state: string }).state === "revoked" ? true : undefined;
      },
      { what: "the worker to mark the lease revoked" },
    );
  });

  it("TTL expiry makes the token inactive within 1 s of expires_at, and the worker settles the lease", async () => {
    const agent = await agentToken("ttl");
    const t = await task("ttl");
    const l = await lease(agent, t.id, { ttl_seconds: 1 });
    const expiresAt = Date.parse(l.expires_at);
    await msUntilInactive(stack, l.credential.token, agent);
    expect(Date.now() - expiresAt).toBeLessThan(1_000);
    const settled = await waitFor(
      async () => {
        const res = await stack.call("GET", `/v1/leases/${l.lease_id}`, agent);
        const body = (await res.json()) as { state: string; confirmed?: boolean; revoked_at: string | null };
        // Past expires_at the lease reads expired at once; `confirmed` says the worker has settled it.
        return body.state === "expired" && body.confirmed === true ? body : undefined;
      },
      { what: "the lease to be expired" },
    );
    expect(Date.parse(settled.revoked_at ?? "") - expiresAt).toBeLessThan(1_000);
  });

  it("an agent returning its lease (DELETE) kills the token", async () => {
    const agent = await agentToken("returns");
    const t = await task("returns");
    const l = await lease(agent, t.id);
    expect((await stack.call("DELETE", `/v1/leases/${l.lease_id}`, agent)).status).toBe(202);
    expect(await msUntilInactive(stack, l.credential.token, agent)).toBeLessThan(1_000);
  });
});

describe("property 3: idempotent everywhere", () => {
  it("a duplicate completion is harmless", async () => {
    const agent = await agentToken("dup");
    const t = await task("dup");
    await lease(agent, t.id);
    const [a, b] = await Promise.all([
      stack.call("POST", `/v1/tasks/${t.id}/complete`, orch),
      stack.call("POST", `/v1/tasks/${t.id}/complete`, orch),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const again = await stack.call("POST", `/v1/tasks/${t.id}/cancel`, orch);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { state: string }).state).toBe("completed");
    await waitFor(
      async () => {
        const res = await stack.call("GET", `/v1/tasks/${t.id}`, orch);
        const body = (await res.json()) as { leases: Record<string, number> };
        return body.leases.revoked === 1 && Object.keys(body.leases).length === 1 ? true : undefined;
      },
      { what: "exactly one revoked lease" },
    );
  });

  it("a retried issue request with the same Idempotency-Key returns the same lease; another body is 409", async () => {
    const agent = await agentToken("idem");
    const t = await task("idem");
    const body = { task_id: t.id, provider: "leash-jwt", intent: { action: "read", resource: "docs/x" } };
    const first = await stack.call("POST", "/v1/leases", agent, body, { "idempotency-key": "k-1" });
    const second = await stack.call("POST", "/v1/leases", agent, body, { "idempotency-key": "k-1" });
    expect([first.status, second.status]).toEqual([201, 200]);
    const [f, s] = (await Promise.all([first.json(), second.json()])) as {
      lease_id: string;
      credential: { token: string };
    }[];
    issuedSecrets.push(f?.credential.token ?? "", s?.credential.token ?? "");
    expect(s?.lease_id).toBe(f?.lease_id);
    expect(s?.credential.token).toBe(f?.credential.token);
    const other = await stack.call(
      "POST",
      "/v1/leases",
      agent,
      { ...body, intent: { action: "read", resource: "docs/y" } },
      { "idempotency-key": "k-1" },
    );
    expect(other.status).toBe(409);
    expect(((await other.json()) as { type: string }).type).toBe("urn:leash:problem:idempotency_conflict");
  });
});

describe("property 2: no orphans", () => {
  it("a lease left pending by a process killed mid-issue is settled by the reconciler", async () => {
    const redis = connectRedis(stack.redis, { mode: "worker" });
    const store = await storeOf(redis, stack.prefix);
    const t = await task("crashed");
    const stale: Lease = {
      id: newId("ls"),
      taskId: t.id,
      agent: agentId("crashed"),
      provider: "leash-jwt",
      target: null,
      intent: { action: "read", resource: "docs/a" },
      scope: [],
      state: "pending",
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      revokedAt: null,
      revokeReason: null,
      handle: null,
      providerExpiresAt: null,
      breakGlass: false,
    };
    // Exactly what the API writes before it mints: the process then "dies".
    await store.leases.createPending(stale);
    const settled = await waitFor(
      async () => {
        const l = await store.leases.get(stale.id);
        return l?.state === "aborted" ? l : undefined;
      },
      { timeoutMs: 10_000, what: "the reconciler to settle the pending lease" },
    );
    expect(settled.revokeReason).toContain("reclaimed");
    await redis.quit();
  });
});

describe("mass revocation", () => {
  it("revokes 10,000 live leases as a campaign and reports progress", async () => {
    const redis = connectRedis(stack.redis, { mode: "worker" });
    const store = await storeOf(redis, stack.prefix);
    const t = await task("fleet");
    await seedActiveLeases(store, t.id, 10_000, (i) => agentId(`fleet-${i % 50}`));
    const preview = await stack.call("POST", "/v1/revocations", security, {
      selector: { task_id: t.id },
      reason: "drill",
      dry_run: true,
    });
    expect(preview.status).toBe(200);
    expect(((await preview.json()) as { matched: number }).matched).toBe(10_000);

    const started = Date.now();
    const res = await stack.call("POST", "/v1/revocations", security, {
      selector: { task_id: t.id },
      reason: "drill",
    });
    expect(res.status).toBe(202);
    const { id, matched } = (await res.json()) as { id: string; matched: number };
    expect(matched).toBe(10_000);
    const seen = new Set<number>();
    const final = await waitFor(
      async () => {
        const body = (await (await stack.call("GET", `/v1/revocations/${id}`, security)).json()) as {
          state: string;
          revoked: number;
        };
        seen.add(body.revoked);
        return body.state === "done" ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "the campaign to finish" },
    );
    expect(final).toMatchObject({ state: "done", matched: 10_000, revoked: 10_000, failed: 0 });
    expect(seen.size).toBeGreaterThan(1); // progress was visible along the way
    console.log(`mass revocation of 10,000 leases: ${Date.now() - started} ms`);
    expect(await store.leases.selectLive({ taskId: t.id })).toHaveLength(0);
    await redis.quit();
  }, 90_000);
});

describe("property 6: secrets never in logs", () => {
  it("no issued token or identity token appears in the processes' output", () => {
    const out = stack.output();
    expect(out.length).toBeGreaterThan(0);
    for (const secret of issuedSecrets.filter(Boolean)) expect(out.includes(secret)).toBe(false);
  });
});
