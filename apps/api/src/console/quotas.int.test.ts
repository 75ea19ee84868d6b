import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient } from "../testing/console-client.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const AGENT = "spiffe://t/agent/console-quotas";

let t: TestApp;
let orch: string;
let agent: string;
let browser: ConsoleClient;
beforeAll(async () => {
  t = await createTestApp(
    inject("redisUrl"),
    {},
    {
      quotas: [
        { id: "console-live", match: { agent: AGENT }, perAgent: false, maxLive: 2 },
        { id: "per-agent", match: {}, perAgent: true, maxLive: 50, maxPerMinute: 60 },
      ],
    },
  );
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  agent = await t.issuer.mint({ sub: AGENT });
  browser = new ConsoleClient(t);
  expect((await browser.login(await t.issuer.mint({ sub: "spiffe://t/security/sam" }))).status).toBe(303);
});
afterAll(() => t?.close());

async function taskWithLeases(quota: Record<string, number> | undefined, leases: number): Promise<string> {
  const res = await t.request("POST", "/v1/tasks", orch, {
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
    ...(quota ? { quota } : {}),
  });
  const { id } = (await res.json()) as { id: string };
  for (let i = 0; i < leases; i++) {
    const issued = await t.request("POST", "/v1/leases", agent, {
      task_id: id,
      provider: "leash-jwt",
      intent: { action: "read", resource: `docs/${i}` },
    });
    expect(issued.status).toBe(201);
  }
  return id;
}

/** The usage cell of one quota's limit on a page. */
function usage(html: string, quota: string, limit: string): string | undefined {
  const row = new RegExp(`<tr data-quota="${quota}" data-limit="${limit}">(.*?)</tr>`, "s").exec(html)?.[1];
  return row
    ?.replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("the console shows quota usage against limits", () => {
  it("the agent page: the quotas that bind the agent, full ones marked", async () => {
    await taskWithLeases(undefined, 2);
    const html = await (await browser.get(`/console/agent?agent=${encodeURIComponent(AGENT)}`)).text();
    expect(usage(html, "console-live", "max_live")).toContain("2 live leases 2 / 2 full");
    expect(html).toContain('<meter value="2" min="0" max="2"');
    expect(usage(html, "per-agent", "max_live")).toContain("2 / 50");
    expect(usage(html, "per-agent", "max_per_minute")).toContain("2 / 60");
  });

  it("the quotas page: every quota, a per-agent one as its live total over agents", async () => {
    const html = await (await browser.get("/console/quotas")).text();
    expect(usage(html, "console-live", "max_live")).toContain("2 / 2");
    expect(usage(html, "per-agent", "max_live")).toContain("50 live leases per agent 2 over all agents");
    expect(usage(html, "per-agent", "max_per_minute")).toContain("kept per agent");
  });

  it("a task page: its own quota and what it counts", async () => {
    const res = await t.request("POST", "/v1/tasks", orch, {
      agent: "spiffe://t/agent/console-other",
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
      quota: { max_live: 3, max_issued: 7 },
    });
    const { id } = (await res.json()) as { id: string };
    const html = await (await browser.get(`/console/tasks/${id}`)).text();
    expect(usage(html, `task:${id}`, "max_live")).toContain("3 live leases 0 / 3");
    expect(usage(html, `task:${id}`, "max_issued")).toContain("7 issued 0 / 7");
  });
});
