import type { AuditEvent } from "@leash/core";
import { GatewayConfig } from "@leash/providers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient } from "../testing/console-client.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

/**
 * Gateway traffic in the console: a gateway lease's page and its agent's page show what went through the gateway,
 * from the counters the gateway keeps as it audits (here written through the same store port, `counting`, with
 * events shaped as the gateway audits them).
 */
const AGENT = "spiffe://t/agent/console-gw";
const gateway = GatewayConfig.parse({
  upstreams: {
    api: {
      url: "http://127.0.0.1:9",
      auth: { type: "header", name: "x-api-key", secret: { vault_kv: "secret/api", key: "key" } },
    },
    docs: {
      url: "http://127.0.0.1:9/docs",
      auth: { type: "header", name: "x-api-key", secret: { vault_kv: "secret/api", key: "key" } },
    },
  },
  vault: { address: "http://127.0.0.1:8200", auth: { method: "token", token_env: "GW_VAULT_TOKEN" } },
});

let t: TestApp;
let orch: string;
let agent: string;
let browser: ConsoleClient;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {}, { gateway });
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: AGENT });
  browser = new ConsoleClient(t);
  expect((await browser.login(await t.issuer.mint({ sub: "spiffe://t/security/sam" }))).status).toBe(303);
});
afterAll(() => t?.close());

async function lease(
  provider: "gateway" | "leash-jwt",
  target?: string,
): Promise<{ id: string; token: string }> {
  const task = await t.request("POST", "/v1/tasks", orch, {
    agent: AGENT,
    ceiling: [{ action: "read", resource: "repos/*" }],
    ttl_seconds: 600,
  });
  const { id: taskId } = (await task.json()) as { id: string };
  const res = await t.request("POST", "/v1/leases", agent, {
    task_id: taskId,
    provider,
    ...(target ? { target } : {}),
    intent: { action: "read", resource: "repos/leash/" },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { lease_id: string; credential: { token: string } };
  return { id: body.lease_id, token: body.credential.token };
}

/** A `gateway.request` event as apps/gateway audits it. */
function request(leaseId: string, upstream: string, over: Record<string, unknown> = {}): AuditEvent {
  const { outcome = "ok", reason, status = 200, bytes_out = 2048 } = over;
  return {
    type: "gateway.request",
    actor: AGENT,
    agent: AGENT,
    taskId: "tk_x",
    leaseId,
    outcome: outcome as AuditEvent["outcome"],
    detail: {
      upstream,
      method: "GET",
      path: "repos/leash/issues",
      status,
      ...(reason ? { reason } : {}),
      bytes_in: 0,
      bytes_out,
      duration_ms: 2,
    },
  };
}

async function page(path: string): Promise<string> {
  const res = await browser.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

/** The text of an element with `attr`, tags stripped. */
function textOf(html: string, attr: string): string | undefined {
  const inner = new RegExp(`<(\\w+)[^>]*${attr}[^>]*>(.*?)</\\1>`, "s").exec(html)?.[2];
  return inner
    ?.replace(/<[^>]+>/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

describe("the console shows gateway traffic", () => {
  it("per lease on the lease page, per upstream on the agent page; never a path or a token", async () => {
    const a = await lease("gateway", "api");
    const b = await lease("gateway", "docs");
    const other = await lease("leash-jwt");
    const sink = t.ctx.store.gatewayTraffic.counting(t.ctx.store.audit, { retentionMs: 86_400_000 });

    const before = await page(`/console/leases/${a.id}`);
    expect(before).toContain("Gateway traffic");
    expect(before).toContain("No request through the gateway yet.");

    await sink.appendMany([
      request(a.id, "api"),
      request(a.id, "api", { status: 404, bytes_out: 100 }),
      request(a.id, "api", { outcome: "denied", status: 403, reason: "outside_intent", bytes_out: 0 }),
      request(b.id, "docs", { bytes_out: 3 * 1024 * 1024 }),
    ]);
    await sink.appendMany([
      request(a.id, "api", { outcome: "denied", status: 403, reason: "lease_not_live", bytes_out: 0 }),
    ]);

    const html = await page(`/console/leases/${a.id}`);
    expect(textOf(html, 'data-figure="requests"')).toBe("4");
    expect(html).toContain("2 relayed, 2 refused, 0 cut");
    expect(textOf(html, 'data-figure="status"')).toBe("2xx 1, 4xx 1");
    expect(textOf(html, 'data-figure="reasons"')).toBe("lease_not_live 1, outside_intent 1");
    expect(textOf(html, 'data-figure="bytes"')).toBe("0 B from the agent, 2.1 KiB to the agent");
    for (const hidden of ["repos/leash/issues", a.token]) expect(html).not.toContain(hidden);

    const agentPage = await page(`/console/agent?agent=${encodeURIComponent(AGENT)}`);
    expect(agentPage).toContain("Gateway traffic, last 7 days");
    const rows = [...agentPage.matchAll(/<tr data-upstream="([^"]+)">(.*?)<\/tr>/gs)].map((m) => [
      m[1],
      (m[2] ?? "")
        .split(/<\/td>/)
        .map((cell) => cell.replace(/<[^>]+>/g, "").trim())
        .filter(Boolean)
        .slice(1, 6),
    ]);
    expect(rows).toEqual([
      ["api", ["4", "2", "2", "0", "lease_not_live 1, outside_intent 1"]],
      ["docs", ["1", "1", "0", "0", "—"]],
    ]);
    expect(agentPage).toContain("3.0 MiB");
    expect(agentPage).not.toContain(a.token);

    // Other providers' leases have no gateway section.
    expect(await page(`/console/leases/${other.id}`)).not.toContain("Gateway traffic");
  });
});
