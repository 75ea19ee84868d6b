import { newId, withShard } from "@leash/core";
import { QUEUES } from "@leash/queue";
import { connectRedis, migrateShards } from "@leash/store";
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

async function get(path: string, app: TestApp = t, token: string = security): Promise<string> {
  const res = await app.request("GET", path, token);
  expect(res.status, path).toBe(200);
  return res.text();
}

/** What the board's page is drawn from: one entry per queue it shows. */
interface BoardQueue {
  name: string;
  displayName?: string;
  description?: string;
  counts: Record<string, number>;
  isPaused: boolean;
  readOnlyMode: boolean;
}

async function boardQueues(app: TestApp = t, token: string = security): Promise<BoardQueue[]> {
  return (JSON.parse(await get("/admin/queues/api/queues", app, token)) as { queues: BoardQueue[] }).queues;
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
    const queues = await boardQueues();
    // One shard: the names an operator always saw, with no shard label.
    expect(queues.map((q) => q.name).sort()).toEqual(Object.values(QUEUES).sort());
    expect(queues.map((q) => q.displayName)).toEqual(queues.map(() => undefined));
    const revoke = queues.find((q) => q.name === "revoke");
    expect(revoke).toMatchObject({ isPaused: false, readOnlyMode: true, counts: { waiting: 1, active: 0 } });
    const stats = JSON.parse(await get("/admin/queues/api/redis/stats")) as { version?: string };
    expect(stats.version).toMatch(/^\d+\.\d+/);
  });
});

describe("queue dashboard: several shards", () => {
  /** The board's names for shards `0..count-1`: each shard's queues, grouped under the shard. */
  const namesOf = (count: number) =>
    Array.from({ length: count }, (_, n) => Object.values(QUEUES).map((q) => `shard-${n}:${q}`))
      .flat()
      .sort();
  const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
  let sharded: TestApp;
  let token: string;
  beforeAll(async () => {
    sharded = await createTestApp(inject("redisUrl"), { LEASH_SHARDS: "3" });
    token = await sharded.issuer.mint({ sub: "spiffe://t/security/sam" });
  });
  afterAll(async () => {
    await sharded?.close();
    await redis.quit();
  });

  it("shows every shard's queues, each named by its shard, with each shard's own jobs", async () => {
    // Each shard keeps its queues under its own prefix: a revoke job of a shard-2 lease waits in shard 2's queue.
    const leaseId = withShard(newId("ls"), 2);
    await sharded.ctx.producers.revoke([{ leaseId, reason: "returned by agent" }]);
    const queues = await boardQueues(sharded, token);
    expect(queues.map((q) => q.name).sort()).toEqual(namesOf(3));
    for (const q of queues) {
      const shard = /^shard-(\d+):/.exec(q.name)?.[1];
      expect(q.displayName, q.name).toContain(`shard ${shard}`);
      expect(q.readOnlyMode, q.name).toBe(true);
    }
    const waiting = (name: string) => queues.find((q) => q.name === name)?.counts.waiting;
    expect([0, 1, 2].map((n) => waiting(`shard-${n}:revoke`))).toEqual([0, 0, 1]);
    // The queue's own page opens, and lists that job.
    const name = encodeURIComponent("shard-2:revoke");
    expect(await get(`/admin/queues/queue/${name}`, sharded, token)).toContain("__UI_CONFIG__");
    const open = JSON.parse(
      await get(`/admin/queues/api/queues?activeQueue=${name}&status=waiting`, sharded, token),
    ) as { queues: (BoardQueue & { jobs: { data: { leaseId?: string } }[] })[] };
    const jobs = open.queues.find((q) => q.name === "shard-2:revoke")?.jobs ?? [];
    expect(jobs.map((j) => j.data.leaseId)).toEqual([leaseId]);
  });

  it("shows the shards a migration added once the API starts again (as it does, exit 75, when shards are added)", async () => {
    const prefix = sharded.ctx.store.prefix;
    await migrateShards(redis, prefix, 4, {
      report: () => undefined,
      signal: AbortSignal.timeout(10_000),
      pollMs: 50,
    });
    // Started again with its old LEASH_SHARDS: the board follows the shard map, not the variable.
    const restarted = await createTestApp(inject("redisUrl"), {
      LEASH_SHARDS: "3",
      LEASH_REDIS_PREFIX: prefix,
    });
    try {
      const queues = await boardQueues(
        restarted,
        await restarted.issuer.mint({ sub: "spiffe://t/security/sam" }),
      );
      expect(queues.map((q) => q.name).sort()).toEqual(namesOf(4));
    } finally {
      await restarted.close();
    }
  });
});
