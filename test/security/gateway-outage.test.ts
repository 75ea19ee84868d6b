import { type RedisServer, startRedisServer, waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamingGet } from "../../apps/gateway/src/testing/stream.js";
import { type GatewayLease, type GatewayStack, startGatewayStack } from "./support/gateway-stack.js";

/**
 * The gateway when what it depends on fails. Redis (the feed of ended leases) frozen: it cannot tell an ended
 * lease from a live one, so it refuses everything (503) and cuts what is streaming, within the staleness bound,
 * and serves again once Redis answers. Vault sealed: a static secret read before serves on (the last value, for a
 * bounded time); a credential never obtained is 503, its reason only in the log.
 */
let redis: RedisServer;
let g: GatewayStack;
let lease: GatewayLease;
const REPO = "repos/leash-dev/demo/";

beforeAll(async () => {
  redis = await startRedisServer({ appendOnly: true });
  // Every request reads the secret from Vault, so a sealed Vault is met at once.
  g = await startGatewayStack({ LEASH_GATEWAY_SECRET_CACHE_MS: "0" }, { redisUrl: redis.url });
  lease = await g.lease("gw-outage", "demo-api", { action: "read", resource: REPO });
}, 120_000);
afterAll(async () => {
  if (redis?.pid) process.kill(redis.pid, "SIGCONT");
  await g?.stop();
  await redis?.stop();
});

const get = (path: string, l: GatewayLease = lease) =>
  fetch(`${l.baseUrl}${path}`, { headers: { authorization: `Bearer ${l.token}` } });

/** A response that streams for a long while. */
const stream = (l: GatewayLease) => streamingGet(`${l.baseUrl}bytes/10000000?rate=20000`, l.token);

describe("Redis frozen", () => {
  it("refuses every request with 503 and cuts a stream in flight within the bound, then serves again", async () => {
    const streamer = await g.lease("gw-outage", "demo-api", { action: "read", resource: "bytes/" });
    expect((await get(`${REPO}issues`)).status).toBe(200);
    const s = await stream(streamer);
    await s.firstChunk;
    const pid = redis.pid ?? 0;
    process.kill(pid, "SIGSTOP");
    const frozen = Date.now();
    try {
      expect(await s.ended).toBe("cut");
      expect(Date.now() - frozen).toBeLessThan(2_000);
      const refused = await waitFor(
        async () => {
          const res = await get(`${REPO}issues`);
          return res.status === 503 ? res : undefined;
        },
        { timeoutMs: 3_000, intervalMs: 50, what: "the gateway to fail closed" },
      );
      expect(Date.now() - frozen).toBeLessThan(2_000);
      expect(refused.headers.get("x-leash-gateway")).toBe("1");
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(((await refused.json()) as { type: string }).type).toBe("urn:leash:problem:gateway_unavailable");
      g.api.emulator.clear();
      for (let i = 0; i < 5; i++) expect((await get(`${REPO}issues`)).status).toBe(503);
      expect(g.api.emulator.received, "nothing was relayed while the gateway could not tell").toEqual([]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor(async () => ((await get(`${REPO}issues`)).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: "the gateway to serve again once Redis answers",
    });
  }, 30_000);
});

describe("Vault sealed", () => {
  it("serves on with the secret read before, and answers 503 for a credential it never had, naming no reason", async () => {
    const vaultLease = await g.lease("gw-outage", "vault", { action: "read", resource: "v1/secret/data/x" });
    g.vault.emulator.faults.set({ seal: true });
    try {
      const res = await get(`${REPO}issues`);
      expect(res.status, "the last value read serves while Vault is unreachable").toBe(200);
      const refused = await get("v1/secret/data/x", vaultLease);
      expect(refused.status).toBe(503);
      const body = await refused.text();
      expect(body).toContain("urn:leash:problem:gateway_unavailable");
      expect(body).not.toMatch(/seal/i);
    } finally {
      g.vault.emulator.faults.set({ seal: false });
    }
  });
});
