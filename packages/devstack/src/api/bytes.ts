import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { type Exchange, HttpProblem } from "./http.js";

const MAX_CHUNK = 64 * 1024;

/**
 * One buffer shared by every stream: byte i of a response is i mod 256, so a reader can check what it got, and the
 * emulator holds the same 64 KiB whatever it streams.
 */
const PATTERN = Buffer.from(Array.from({ length: MAX_CHUNK + 256 }, (_, i) => i & 0xff));

function positiveInt(raw: string | null, what: string, max: number): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max) throw new HttpProblem(400, `${what} must be an integer`);
  return Number(raw);
}

/** Small enough pieces that a paced stream moves about 50 times a second. */
function chunkSize(rate: number): number {
  return rate === 0 ? MAX_CHUNK : Math.min(MAX_CHUNK, Math.max(256, Math.floor(rate / 50)));
}

/**
 * /bytes/<n>[?rate=<bytes per second>]: n bytes with a Content-Length, written with backpressure and, when paced,
 * on schedule from the start (so a slow reader does not make it burst later). Stops when the client leaves.
 */
export async function streamBytes(ex: Exchange, count: string, defaultRate: number): Promise<void> {
  const total = positiveInt(count, "n", Number.MAX_SAFE_INTEGER) ?? 0;
  const rate = positiveInt(ex.url.searchParams.get("rate"), "rate", 1e12) ?? defaultRate;
  const size = chunkSize(rate);
  const { res, record, signal } = ex;
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(total) });
  if (ex.req.method === "HEAD") {
    res.end();
    return;
  }
  const started = performance.now();
  let sent = 0;
  try {
    while (sent < total && !signal.aborted) {
      const n = Math.min(size, total - sent);
      const offset = sent & 0xff;
      const flowing = res.write(PATTERN.subarray(offset, offset + n));
      sent += n;
      record.bytesOut = sent;
      if (!flowing) await once(res, "drain", { signal });
      if (rate > 0) {
        const wait = started + (sent / rate) * 1000 - performance.now();
        if (wait > 0) await delay(wait, undefined, { signal });
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (!signal.aborted) res.end();
}
