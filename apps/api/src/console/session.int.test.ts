import { createDevIssuer } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConsoleClient, csrfOf } from "../testing/console-client.js";
import { createTestApp, ISSUER, type TestApp } from "../testing/test-app.js";

const SECURITY = "spiffe://t/security/sam";
const PAGES = [
  "/console",
  "/console/agent?agent=spiffe%3A%2F%2Ft%2Fagent%2Fa",
  "/console/approvals",
  "/console/audit",
  "/console/leases/ls_missing",
  "/console/tasks/tk_missing",
  "/console/revoke?kind=agent&id=spiffe%3A%2F%2Ft%2Fagent%2Fa",
  "/console/campaigns/rv_missing",
  "/admin/queues",
  "/admin/queues/api/queues",
];

let t: TestApp;
let security: string;
let agent: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  security = await t.issuer.mint({ sub: SECURITY });
  agent = await t.issuer.mint({ sub: "spiffe://t/agent/a" });
});
afterAll(() => t?.close());

async function auditTypes(): Promise<{ type: string; actor: string | null }[]> {
  return (await t.ctx.audit.tail(200)).map((e) => ({ type: e.type, actor: e.actor }));
}

describe("console sign-in: only a verified security identity gets a session", () => {
  it("sets an HttpOnly, SameSite=Strict, Path=/ cookie for a security token and lands on the console", async () => {
    const browser = new ConsoleClient(t);
    const res = await browser.login(security);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("leash_console="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/); // the test app's public URL is http
    expect((await browser.get("/console")).status).toBe(200);
    expect(await auditTypes()).toContainEqual({ type: "console.login", actor: SECURITY });
  });

  it("refuses a token without the security role, naming the subject but never echoing the token", async () => {
    const browser = new ConsoleClient(t);
    const res = await browser.login(agent);
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain("spiffe://t/agent/a does not hold the security role");
    expect(html).not.toContain(agent);
    expect(browser.cookies.has("leash_console")).toBe(false);
    expect(await auditTypes()).toContainEqual({ type: "console.login_refused", actor: "spiffe://t/agent/a" });
  });

  it("refuses malformed, expired and untrusted tokens with the reason, never echoing them", async () => {
    const stranger = await (await createDevIssuer({ issuerUrl: ISSUER })).mint({ sub: SECURITY });
    const expired = await t.signRaw({ iss: ISSUER, aud: "leash", sub: SECURITY, exp: 1_000, iat: 900 });
    for (const token of ["not-a-jwt", expired, stranger]) {
      const browser = new ConsoleClient(t);
      const res = await browser.login(token);
      expect(res.status, token).toBe(401);
      const html = await res.text();
      expect(html).toContain("The token was refused:");
      expect(html).not.toContain(token);
      expect(browser.cookies.has("leash_console")).toBe(false);
    }
  });

  it("refuses a sign-in form that was not served to this browser (login CSRF)", async () => {
    const browser = new ConsoleClient(t);
    const res = await browser.post("/console/login", { token: security, csrf: "forged" });
    expect(res.status).toBe(403);
    expect(browser.cookies.has("leash_console")).toBe(false);
  });

  it("refuses a token too long for a browser cookie, saying why", async () => {
    const browser = new ConsoleClient(t);
    // Just over the cookie limit, still under the test app's 4096-byte body limit.
    const res = await browser.login(`${security}.${"x".repeat(3810 - security.length)}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("a browser cookie holds at most");
  });
});

describe("console pages need a live security session", () => {
  it("sends a browser without a session to the sign-in form", async () => {
    const browser = new ConsoleClient(t);
    for (const path of PAGES) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location"), path).toBe("/console/login");
    }
  });

  it("ends the session when the token expires, and forbids a cookie holding a non-security token", async () => {
    const browser = new ConsoleClient(t);
    browser.cookies.set("leash_console", await t.issuer.mint({ sub: SECURITY, ttlSeconds: 1 }));
    expect((await browser.get("/console")).status).toBe(200);
    const expired = await t.signRaw({ iss: ISSUER, aud: "leash", sub: SECURITY, exp: 1_000, iat: 900 });
    browser.cookies.set("leash_console", expired);
    const res = await browser.get("/console");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/login");
    expect(browser.cookies.has("leash_console")).toBe(false);
    browser.cookies.set("leash_console", agent);
    expect((await browser.get("/console")).status).toBe(403);
    expect(browser.cookies.has("leash_console")).toBe(false);
    browser.cookies.set("leash_console", agent);
    expect((await browser.get("/admin/queues")).status).toBe(403);
  });

  it("logs out with a CSRF-protected POST that clears the cookie", async () => {
    const browser = new ConsoleClient(t);
    await browser.login(security);
    const page = await (await browser.get("/console")).text();
    expect((await browser.post("/console/logout", {})).status).toBe(403);
    const res = await browser.post("/console/logout", { csrf: csrfOf(page) });
    expect(res.status).toBe(303);
    expect(browser.cookies.has("leash_console")).toBe(false);
    expect((await browser.get("/console")).status).toBe(303);
  });
});

describe("console responses are locked down", () => {
  it("sends no-store, a nonce CSP that the page's inline style uses, and DENY framing", async () => {
    const browser = new ConsoleClient(t);
    for (const res of [
      await browser.get("/console/login"),
      await browser.login(security),
      await browser.get("/console"),
    ]) {
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
    }
    const res = await browser.get("/console");
    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce).toBeTruthy();
    expect(await res.text()).toContain(`<style nonce="${nonce}">`);
    const again = await browser.get("/console");
    expect(again.headers.get("content-security-policy")).not.toContain(nonce);
  });

  it("over https the cookie is __Host- prefixed and Secure", async () => {
    const https = await createTestApp(inject("redisUrl"), { LEASH_PUBLIC_URL: "https://leash.example" });
    try {
      const res = await new ConsoleClient(https).login(await https.issuer.mint({ sub: SECURITY }));
      expect(res.status).toBe(303);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-leash_console="));
      expect(cookie).toMatch(/Secure/);
      expect(cookie).toMatch(/Path=\//);
    } finally {
      await https.close();
    }
  });
});

describe("queue dashboard at /admin/queues: security only, read-only", () => {
  it("serves the board to a security session or bearer token, refuses others and any write", async () => {
    const browser = new ConsoleClient(t);
    await browser.login(security);
    const page = await browser.get("/admin/queues");
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain("__UI_CONFIG__");
    const api = await t.request("GET", "/admin/queues/api/queues", security);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([
      "campaign",
      "maintenance",
      "reevaluation",
      "revoke",
    ]);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
    expect((await t.request("GET", "/admin/queues/api/queues", agent)).status).toBe(403);
    expect((await t.request("GET", "/admin/queues/api/queues", "garbage")).status).toBe(401);
    const write = await t.request("PUT", "/admin/queues/api/queues/revoke/pause", security);
    expect(write.status).toBe(403);
  });
});
