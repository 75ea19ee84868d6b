import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient, csrfOf } from "../testing/console-client.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const SECURITY = "spiffe://t/security/sam";
const OTHER_SECURITY = "spiffe://t/security/ozzy";
const AGENT = "spiffe://t/agent/suspect";

let t: TestApp;
let orch: string;
let browser: ConsoleClient;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  browser = new ConsoleClient(t);
  expect((await browser.login(await t.issuer.mint({ sub: SECURITY }))).status).toBe(303);
});
afterAll(() => t?.close());

async function page(path: string): Promise<string> {
  const res = await browser.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

const agentPage = `/console/agent?agent=${encodeURIComponent(AGENT)}`;

describe("console: suspending an identity from its agent page", () => {
  it("confirms with the count it revokes, suspends as the person, shows it, and lifts it", async () => {
    const task = await t.request("POST", "/v1/tasks", orch, {
      agent: AGENT,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const { id } = (await task.json()) as { id: string };
    const agentToken = await t.issuer.mint({ sub: AGENT });
    const issued = await t.request("POST", "/v1/leases", agentToken, {
      task_id: id,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/a" },
    });
    const { lease_id } = (await issued.json()) as { lease_id: string };

    expect(await page(agentPage)).toContain("Suspend this identity");
    const confirm = await page(`/console/suspend?agent=${encodeURIComponent(AGENT)}`);
    expect(confirm).toContain("This will revoke 1 live lease");
    // A GET changes nothing.
    expect((await t.request("GET", `/v1/tasks/${id}`, agentToken)).status).toBe(200);

    const res = await browser.post("/console/suspend", {
      agent: AGENT,
      reason: "odd traffic",
      minutes: "30",
      include_delegated: "true",
      csrf: csrfOf(confirm),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(agentPage);
    const shown = await page(agentPage);
    expect(shown).toContain("Suspended");
    expect(shown).toContain("odd traffic");
    expect(shown).toContain(SECURITY);
    expect((await t.ctx.store.leases.get(lease_id))?.revokeReason).toBe("agent_suspended");
    expect((await t.request("GET", `/v1/tasks/${id}`, agentToken)).status).toBe(403);
    const suspension = await t.ctx.store.suspensions.get(AGENT);
    // The form reads the clock for `until`, the service again for `at`: a millisecond may pass between them.
    const thirtyMinutesOn = (suspension?.at ?? 0) + 30 * 60_000;
    expect(suspension?.until).toBeGreaterThanOrEqual(thirtyMinutesOn - 1_000);
    expect(suspension?.until).toBeLessThanOrEqual(thirtyMinutesOn);

    const lifted = await browser.post("/console/unsuspend", { agent: AGENT, csrf: csrfOf(shown) });
    expect(lifted.status).toBe(303);
    expect(await page(agentPage)).toContain("Not suspended");
    expect((await t.request("GET", `/v1/tasks/${id}`, agentToken)).status).toBe(200);
  });

  it("refuses a suspended person's session like any other request of theirs", async () => {
    const other = new ConsoleClient(t);
    expect((await other.login(await t.issuer.mint({ sub: OTHER_SECURITY }))).status).toBe(303);
    const security = await t.issuer.mint({ sub: SECURITY });
    await t.request("POST", `/v1/agents/${encodeURIComponent(OTHER_SECURITY)}/suspend`, security, {
      reason: "r",
    });
    const res = await other.get("/console/");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("agent suspended");
  });

  it("needs the form's CSRF token", async () => {
    const res = await browser.post("/console/suspend", { agent: AGENT, reason: "r", csrf: "wrong" });
    expect(res.status).toBe(403);
    expect(await t.ctx.store.suspensions.get(AGENT)).toBeNull();
  });
});
