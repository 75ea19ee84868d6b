import { QUEUES } from "@leash/queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";

/**
 * The queue dashboard loads nothing from another origin: its Content-Security-Policy would block it anyway (the
 * browser then logs a violation and waits on it), and a security tool should not tell a third party when it is used.
 */
let t: TestApp;
let security: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  security = await t.issuer.mint({ sub: "spiffe://t/security/sam" });
});
afterAll(() => t?.close());

const ORIGIN = "http://leash.test";
/** An absolute (`https://host`) or protocol-relative (`//host`) reference: anything that may leave the origin. */
const OFF_ORIGIN = /(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i;

async function get(path: string): Promise<string> {
  const res = await t.request("GET", path, security);
  expect(res.status, path).toBe(200);
  return res.text();
}

/** Every URL the page makes the browser load: stylesheets, scripts, icons and images. */
function loadedUrls(html: string): string[] {
  const urls: string[] = [];
  for (const tag of html.matchAll(/<(link|script|img|iframe|source)\b[^>]*>/gi)) {
    for (const attr of tag[0].matchAll(/\b(?:href|src|srcset)\s*=\s*["']([^"']*)["']/gi)) {
      if (attr[1] !== undefined) urls.push(attr[1]);
    }
  }
  return urls;
}

describe("queue dashboard: nothing off-origin", () => {
  it("the HTML of every entry page and the CSS it loads reference no other host", async () => {
    for (const page of ["/admin/queues", "/admin/queues/queue/revoke"]) {
      const html = await get(page);
      expect(html).toContain("__UI_CONFIG__");
      const base = /<base\s+href="([^"]*)"/i.exec(html)?.[1] ?? "/admin/queues/";
      const urls = loadedUrls(html);
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) {
        const resolved = new URL(url, new URL(base, ORIGIN));
        expect(resolved.origin, `${page} loads ${url}`).toBe(ORIGIN);
      }
      expect(html).not.toMatch(/fonts\.(googleapis|gstatic)\.com/);
      for (const url of urls.filter((u) => /\.css(\?|$)/.test(u))) {
        const css = await get(new URL(url, new URL(base, ORIGIN)).pathname);
        expect(css, url).not.toMatch(OFF_ORIGIN);
        expect(css, url).not.toMatch(/@import\s+url\(\s*["']?(?:https?:)?\/\//i);
      }
    }
  });
});

describe("queue dashboard: the board's data", () => {
  it("lists the queues with their counts and pause state, and the Redis they live on", async () => {
    await t.ctx.producers.revoke([{ leaseId: "board-lease", reason: "returned by agent" }]);
    const { queues } = JSON.parse(await get("/admin/queues/api/queues")) as {
      queues: { name: string; counts: Record<string, number>; isPaused: boolean; readOnlyMode: boolean }[];
    };
    expect(queues.map((q) => q.name).sort()).toEqual(Object.values(QUEUES).sort());
    const revoke = queues.find((q) => q.name === "revoke");
    expect(revoke).toMatchObject({ isPaused: false, readOnlyMode: true, counts: { waiting: 1, active: 0 } });
    const stats = JSON.parse(await get("/admin/queues/api/redis/stats")) as { version?: string };
    expect(stats.version).toMatch(/^\d+\.\d+/);
  });
});
