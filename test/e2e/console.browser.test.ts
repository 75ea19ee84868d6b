import { existsSync, mkdirSync } from "node:fs";
import { waitFor } from "@leash/devstack";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { agentId, ORCHESTRATOR, SECURITY, type Stack, startStack } from "../support/stack.js";

/** Debian's chromium package; no browser is downloaded. */
const CHROMIUM = process.env.LEASH_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const SKIP = process.env.LEASH_SKIP_BROWSER === "1";
const AGENT = agentId("browser");

let stack: Stack;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
const issued: { leaseId: string; token: string }[] = [];

async function issueLease(orch: string, agentToken: string, resource: string) {
  const task = await stack.call("POST", "/v1/tasks", orch, {
    agent: AGENT,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttl_seconds: 600,
  });
  const { id } = (await task.json()) as { id: string };
  const res = await stack.call("POST", "/v1/leases", agentToken, {
    task_id: id,
    provider: "leash-jwt",
    intent: { action: "read", resource, tool: "docs-api" },
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { lease_id: string; credential: { token: string } };
  issued.push({ leaseId: body.lease_id, token: body.credential.token });
  return issued.at(-1) as { leaseId: string; token: string };
}

async function introspect(caller: string, token: string): Promise<boolean> {
  const res = await stack.call("POST", "/v1/introspect", caller, `token=${token}`, {
    "content-type": "application/x-www-form-urlencoded",
  });
  return ((await res.json()) as { active: boolean }).active;
}

/** Reloads the live lease list until the lease's row is gone (the worker settles the revocation). */
async function waitUntilGone(leaseId: string) {
  await waitFor(
    async () => {
      await page.goto(`${stack.api}/console`);
      return (await page.locator(`tr[data-lease="${leaseId}"]`).count()) === 0 ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 250, what: `lease ${leaseId} to leave the live list` },
  );
}

// LEASH_SKIP_BROWSER=1 skips this file (say so in the run's log); without it a missing Chromium fails loudly.
const TITLE = SKIP
  ? "web console in a real headless Chromium (skipped: LEASH_SKIP_BROWSER=1)"
  : "web console in a real headless Chromium";

describe.skipIf(SKIP)(TITLE, () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: run \`sudo apt-get install -y chromium\` (Debian/Ubuntu), set LEASH_CHROMIUM to its path, or set LEASH_SKIP_BROWSER=1 to skip the browser test`,
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ redis: inject("redisTarget") });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Chromium's sandbox cannot start as root (containers, CI images); elsewhere it stays on.
      args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("console", (m) => {
      if (/content security policy/i.test(m.text())) cspViolations.push(m.text());
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("signs in with a dev token, sees a lease, revokes it with confirmation and sees it gone", async () => {
    const orch = await stack.token(ORCHESTRATOR);
    const agent = await stack.token(AGENT);
    const target = await issueLease(orch, agent, "docs/revoke-me.md");
    const bystander = await issueLease(orch, agent, "docs/keep-me.md");

    await page.goto(`${stack.api}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await page.locator('textarea[name="token"]').fill(await stack.token(SECURITY));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${stack.api}/console`);

    const row = page.locator(`tr[data-lease="${target.leaseId}"]`);
    await expect(row.textContent()).resolves.toContain("read:docs/revoke-me.md");
    await row.getByRole("link", { name: "Revoke…" }).click();
    await expect(page.locator("#hits").textContent()).resolves.toContain("This will hit 1 live lease");
    await page.screenshot({ path: `${ARTIFACTS}console-confirm.png` });
    await page.getByRole("button", { name: "Revoke 1 live lease" }).click();
    await page.waitForURL(`${stack.api}/console/leases/${target.leaseId}`);

    await waitUntilGone(target.leaseId);
    expect(await page.locator(`tr[data-lease="${bystander.leaseId}"]`).count()).toBe(1);
    expect(await introspect(agent, target.token)).toBe(false);
    expect(await introspect(agent, bystander.token)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}console.png`, fullPage: true });
    const html = await page.content();
    for (const { token } of issued) expect(html.includes(token)).toBe(false);
  });

  it("revokes every lease of the agent with a campaign whose page follows its progress to done", async () => {
    await page.goto(`${stack.api}/console/agent?agent=${encodeURIComponent(AGENT)}`);
    await page.getByRole("link", { name: "Revoke every live lease of this agent…" }).click();
    await expect(page.locator("#hits").textContent()).resolves.toContain("This will hit 1 live lease");
    await page.getByRole("button", { name: "Revoke 1 live lease" }).click();
    await page.waitForURL(/\/console\/campaigns\/rv_/);
    // The page's script (allowed by its CSP nonce) polls the progress without a reload.
    await page.locator("#campaign-state", { hasText: "done" }).waitFor({ timeout: 10_000 });
    expect(await page.locator("#campaign-revoked").textContent()).toBe("1");
    await page.screenshot({ path: `${ARTIFACTS}console-campaign.png` });
    const agent = await stack.token(AGENT);
    for (const { token } of issued) expect(await introspect(agent, token)).toBe(false);
    expect(cspViolations).toEqual([]);
  });

  it("opens the read-only queue dashboard with the same session", async () => {
    await page.goto(`${stack.api}/admin/queues`);
    await page.getByText("revoke", { exact: true }).first().waitFor({ timeout: 15_000 });
    expect(await page.title()).toContain("Leash queues");
    await page.getByText("Loading", { exact: false }).first().waitFor({ state: "detached", timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}console-queues.png` });
    // The board's own page asks for Google Fonts; Leash serves it without that link, so nothing is blocked.
    expect(cspViolations).toEqual([]);
  });
});
