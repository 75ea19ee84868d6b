import { randomUUID } from "node:crypto";
import { activationFixture, leaseFixture, taskFixture } from "@leash/store/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient } from "../testing/console-client.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const A = "spiffe://t/agent/console-a";
const B = "spiffe://t/agent/console-b";

let t: TestApp;
let orch: string;
let browser: ConsoleClient;

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  orch = await t.issuer.mint({ sub: "spiffe://t/orchestrator" });
  browser = new ConsoleClient(t);
  expect((await browser.login(await t.issuer.mint({ sub: "spiffe://t/security/sam" }))).status).toBe(303);
});
afterAll(() => t?.close());

async function page(path: string): Promise<string> {
  const res = await browser.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

describe("console: the blast radius includes delegation, and leases filter by target", () => {
  it("an agent's exposure and its revocation count its delegates' leases, marked with the chain", async () => {
    const root = await t.request("POST", "/v1/tasks", orch, {
      agent: A,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const rootId = ((await root.json()) as { id: string }).id;
    const sub = await t.request("POST", "/v1/tasks", await t.issuer.mint({ sub: A }), {
      agent: B,
      parent_id: rootId,
      ceiling: [{ action: "read", resource: "docs/b/*" }],
      ttl_seconds: 300,
    });
    const subId = ((await sub.json()) as { id: string }).id;
    const issued = await t.request("POST", "/v1/leases", await t.issuer.mint({ sub: B }), {
      task_id: subId,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/b/1" },
    });
    const { lease_id } = (await issued.json()) as { lease_id: string };

    const exposure = await page(`/console/agent?agent=${encodeURIComponent(A)}`);
    expect(exposure).toContain(lease_id);
    expect(exposure).toContain("1 delegated");
    expect(exposure).toContain(`via ${A}`);

    const confirm = await page(`/console/revoke?kind=agent&id=${encodeURIComponent(A)}`);
    expect(confirm).toContain("This will hit 1 live lease");
    expect(confirm).toContain(lease_id);

    // The live-lease list filtered by agent stays the agent's own.
    expect(await page(`/console?agent=${encodeURIComponent(A)}`)).not.toContain(lease_id);
  });

  it("the live-lease list filters by target", async () => {
    const task = taskFixture({ agent: "spiffe://t/agent/console-target" });
    await t.ctx.store.tasks.create(task);
    const role = `arn:aws:iam::123456789012:role/${randomUUID()}`;
    const [on, off] = [role, `${role}-other`].map((target) =>
      leaseFixture(task.id, { agent: task.agent, provider: "aws-sts", target }),
    );
    for (const l of [on, off]) {
      if (!l) continue;
      await t.ctx.store.leases.createPending(l);
      await t.ctx.store.leases.activate(l.id, activationFixture());
    }
    const html = await page(`/console?target=${encodeURIComponent(role)}`);
    expect(html).toContain(on?.id);
    expect(html).not.toContain(off?.id);
    expect(html).toContain(`value="${role}"`);
  });
});
