import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { waitFor } from "@leash/devstack";
import { connectRedis } from "@leash/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayAwsSigner, gatewayBucket } from "../../packages/sdk/src/index.js";
import {
  type GatewayLease,
  type GatewayStack,
  residentBytes,
  startGatewayStack,
} from "../support/gateway.js";
import { ORCHESTRATOR } from "../support/stack.js";
import { storeOf } from "../support/store.js";

/**
 * The gateway as an agent meets it, on `pnpm start` with a gateway section: the plain AWS SDK and a plain fetch
 * against `base_url`, the upstream secret injected by the gateway and never seen by the agent, and every request
 * refused once the task is over. The API emulator and a pass-through in front of S3 record what the upstreams get.
 */
let g: GatewayStack;
beforeAll(async () => {
  g = await startGatewayStack();
}, 120_000);
afterAll(async () => {
  await g?.stop();
});

const MB = 1024 * 1024;
const REPO = "repos/leash-dev/demo/";

/** An S3 client as any program builds one, pointed at the lease's base_url; only its signer comes from Leash. */
function s3(lease: GatewayLease) {
  const credential = { token: lease.token, token_type: "Bearer" as const, base_url: lease.baseUrl };
  const client = new S3Client({
    region: "us-east-1",
    bucketEndpoint: true,
    maxAttempts: 1,
    signer: gatewayAwsSigner(credential),
    // Never used (the signer replaces the signature); set so the SDK does not look for keys of its own.
    credentials: { accessKeyId: "unused", secretAccessKey: "unused" },
  });
  return { client, bucket: gatewayBucket(credential) };
}

/** "ok", or the HTTP status and problem type of the refusal, of listing `docs/` through the gateway. */
async function list(lease: GatewayLease): Promise<string> {
  const { client, bucket } = s3(lease);
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/" }));
    return "ok";
  } catch (error) {
    return refusalOf(error);
  }
}

async function read(lease: GatewayLease, key: string): Promise<string> {
  const { client, bucket } = s3(lease);
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString()) ?? "";
  } catch (error) {
    return refusalOf(error);
  }
}

/** The SDK's error for a gateway refusal: its status; the problem type is read with fetch (the SDK parses XML). */
function refusalOf(error: unknown): string {
  const e = error as {
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string> };
  };
  const gateway = e.$response?.headers?.["x-leash-gateway"] === "1" ? " gateway" : "";
  return `${e.$metadata?.httpStatusCode ?? "?"}${gateway}`;
}

async function callApi(lease: GatewayLease, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${lease.baseUrl}${path}`, { headers: { authorization: `Bearer ${lease.token}` } });
  return { status: res.status, body: await res.text() };
}

const problemType = (body: string) => (JSON.parse(body) as { type?: string }).type;

async function completeTask(taskId: string): Promise<number> {
  const started = Date.now();
  const res = await g.stack.call("POST", `/v1/tasks/${taskId}/complete`, await g.stack.token(ORCHESTRATOR));
  expect([200, 202], await res.text()).toContain(res.status);
  return started;
}

/** Calls `probe` back to back until it answers `refused`; returns the instant it did. */
async function refusedAt(probe: () => Promise<string>, refused: string): Promise<number> {
  await waitFor(async () => ((await probe()) === refused ? true : undefined), {
    timeoutMs: 5_000,
    intervalMs: 5,
    what: `the gateway to answer ${refused}`,
  });
  return Date.now();
}

describe("the gateway on pnpm start", () => {
  it("an agent lists and reads S3 with the plain AWS SDK and calls an API with fetch; after task completion both are refused (403 lease_not_live) within 1 s", async () => {
    const agent = "gw-e2e";
    const task = await g.task(agent, [
      { action: "list", resource: "docs/" },
      { action: "read", resource: "docs/" },
      { action: "read", resource: REPO },
    ]);
    const listing = await g.lease(agent, task, "leash-docs", { action: "list", resource: "docs/" });
    const reading = await g.lease(agent, task, "leash-docs", { action: "read", resource: "docs/" });
    const api = await g.lease(agent, task, "demo-api", { action: "read", resource: REPO });
    g.api.emulator.clear();
    g.s3.arrivals.length = 0;

    expect(await list(listing)).toBe("ok");
    const { client, bucket } = s3(listing);
    const keys = (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/" }))).Contents;
    expect(keys?.map((o) => o.Key).sort()).toEqual(["docs/a.md", "docs/readme.md"]);
    expect(await read(reading, "docs/readme.md")).toBe("# Leash docs");
    expect(await read(reading, "reports/q3.md")).toBe("403 gateway"); // outside the intent: never sent
    const issues = await callApi(api, `${REPO}issues`);
    expect(issues.status, issues.body).toBe(200);
    expect(JSON.parse(issues.body)).toEqual([expect.objectContaining({ title: "Try the gateway" })]);

    const completed = await completeTask(task);
    const [s3Refused, apiRefused] = await Promise.all([
      refusedAt(() => read(reading, "docs/readme.md"), "403 gateway"),
      refusedAt(async () => String((await callApi(api, `${REPO}issues`)).status), "403"),
    ]);
    expect(s3Refused - completed).toBeLessThan(1_000);
    expect(apiRefused - completed).toBeLessThan(1_000);
    for (const [lease, path] of [
      [listing, "?list-type=2&prefix=docs%2F"],
      [reading, "docs/readme.md"],
      [api, `${REPO}issues`],
    ] as const) {
      const after = await callApi(lease, path);
      expect(after.status).toBe(403);
      expect(problemType(after.body)).toBe("urn:leash:problem:lease_not_live");
    }

    // What the upstreams received: the injected credential, never a gateway token.
    const tokens = [listing.token, reading.token, api.token];
    const received = g.api.emulator.received;
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      expect(r.authorized).toBe(true);
      expect(r.headers.filter(([n]) => n.toLowerCase() === "authorization").map(([, v]) => v)).toEqual([
        `Bearer ${g.apiKey}`,
      ]);
      for (const t of tokens) expect(JSON.stringify(r)).not.toContain(t);
    }
    const sessions = new Set(g.aws.emulator.sessions().map((s) => s.accessKeyId));
    expect(g.s3.arrivals.length).toBeGreaterThanOrEqual(3);
    for (const a of g.s3.arrivals) {
      const auth = a.headers.filter(([n]) => n.toLowerCase() === "authorization").map(([, v]) => v);
      expect(auth).toHaveLength(1);
      const akid = /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\//.exec(auth[0] ?? "")?.[1] ?? "";
      expect(sessions.has(akid), `signed by a session Leash minted: ${akid}`).toBe(true);
      expect(a.headers.some(([n]) => n.toLowerCase() === "x-amz-security-token")).toBe(true);
      for (const t of tokens) expect(JSON.stringify(a)).not.toContain(t);
    }

    // The gateway counted it all for the console, as it audited it.
    const redis = connectRedis(g.stack.redis, { mode: "worker" });
    try {
      const traffic = (await storeOf(redis, g.stack.prefix)).gatewayTraffic;
      const counted = await waitFor(
        async () => {
          const t = await traffic.lease(api.leaseId);
          return t && (t.byReason.lease_not_live ?? 0) >= 2 ? t : undefined;
        },
        { timeoutMs: 2_000, what: "the API lease's traffic to be counted" },
      );
      // Relayed: the call before completion, and any the polling made before the gateway heard of it.
      expect(counted.relayed).toBeGreaterThanOrEqual(1);
      expect(counted.byStatus).toEqual({ "2xx": counted.relayed });
      const s3 = await traffic.lease(reading.leaseId);
      expect(s3?.byReason).toMatchObject({ outside_intent: 1, lease_not_live: expect.any(Number) });
      expect(s3?.byStatus).toEqual({ "2xx": s3?.relayed });
    } finally {
      await redis.quit();
    }
  });

  it("100 MB and 300 MB downloads stream through with the gateway's memory flat, and one in progress is cut within 1 s of the task's completion", async () => {
    const agent = "gw-e2e-stream";
    const task = await g.task(agent, [{ action: "read", resource: "bytes/" }]);
    const lease = await g.lease(agent, task, "demo-api", { action: "read", resource: "bytes/" });
    const pid = g.gatewayPid();
    // Warm the path (Vault read, connection pool) so the baseline is the gateway at work, not at rest.
    expect((await callApi(lease, "bytes/1024")).status).toBe(200);

    // V8 frees relayed chunks in batches (a collection once tens of MB of buffers are garbage), so the RSS moves in a
    // sawtooth of that height; a gateway that held the body would grow by its size. The first 100 MB stream (checked
    // byte by byte like every one here) grows the heap to its working size; then 300 MB go through.
    const first = await download(lease, `bytes/${100 * MB}`, pid);
    expect(first.bytes).toBe(100 * MB);
    expect(first.error).toBeUndefined();
    const long = await download(lease, `bytes/${300 * MB}`, pid);
    expect(long.bytes).toBe(300 * MB);
    expect(long.growth, rssOf(long)).toBeLessThan(100 * MB);

    // Paced at 20 MB/s, so the 100 MB would take 5 s: the task completes once 20 MB are through.
    g.api.emulator.clear();
    let completion: Promise<number> | undefined;
    const cut = await download(lease, `bytes/${100 * MB}?rate=${20 * MB}`, pid, (bytes) => {
      if (bytes >= 20 * MB) completion ??= completeTask(task);
    });
    const completed = await completion;
    expect(cut.error).toBeDefined();
    if (completed === undefined) throw new Error("the task was never completed");
    expect(cut.endedAt - completed, "cut after the completion").toBeLessThan(1_000);
    expect(cut.bytes).toBeLessThan(100 * MB);
    const upstream = await waitFor(
      () => g.api.emulator.received.find((r) => r.path.startsWith("/bytes/") && r.status !== undefined),
      { what: "the upstream's record of the stream" },
    );
    expect(upstream.aborted).toBe(true);
  }, 60_000);
});

interface Download {
  bytes: number;
  error: unknown;
  endedAt: number;
  /** The gateway's resident memory sampled every 20 ms while streaming. */
  rss: number[];
  /** Its highest RSS while streaming less its RSS just before. */
  growth: number;
}

const rssOf = (d: Download) =>
  `RSS (MiB) while streaming: ${d.rss.map((b) => Math.round(b / 1024 / 1024)).join(" ")}`;

/** Reads a response through the gateway as fast as it comes, sampling the gateway's RSS. */
async function download(
  lease: GatewayLease,
  path: string,
  pid: number,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<Download> {
  const rss = [residentBytes(pid)];
  const sampler = setInterval(() => rss.push(residentBytes(pid)), 20);
  let bytes = 0;
  let error: unknown;
  try {
    const res = await fetch(`${lease.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${lease.token}` },
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      // Byte i of the stream is i mod 256: a spot check per chunk that nothing was lost or reordered.
      if (chunk.value[0] !== (bytes & 0xff)) throw new Error(`byte ${bytes} out of order`);
      bytes += chunk.value.length;
      onProgress(bytes);
    }
  } catch (e) {
    error = e;
  } finally {
    clearInterval(sampler);
  }
  rss.push(residentBytes(pid));
  return { bytes, error, endedAt: Date.now(), rss, growth: Math.max(...rss) - (rss[0] ?? 0) };
}
