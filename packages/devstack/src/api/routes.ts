import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { streamBytes } from "./bytes.js";
import { type Exchange, HttpProblem, sendJson } from "./http.js";
import type { IssueStore } from "./issues.js";

/**
 * /echo-headers: every request header back, as `x-echo-<name>` response headers and as a JSON body, like the
 * upstreams that reflect what they were sent (the gateway must not let an injected secret reach the agent).
 */
function echoHeaders(ex: Exchange): void {
  const headers: Record<string, string> = {};
  const echoed: Record<string, string> = {};
  for (const [name, value] of Object.entries(ex.req.headers)) {
    const text = Array.isArray(value) ? value.join(", ") : (value ?? "");
    headers[name] = text;
    echoed[`x-echo-${name}`] = text;
  }
  sendJson(ex, 200, { headers }, echoed);
}

/** /redirect?to=<absolute URL>[&status=]: a redirect, typically to another origin. */
function redirect(ex: Exchange): void {
  const to = ex.url.searchParams.get("to") ?? "";
  if (!URL.canParse(to) || !/^https?:$/.test(new URL(to).protocol)) {
    throw new HttpProblem(400, "to must be an absolute http(s) URL");
  }
  const status = Number(ex.url.searchParams.get("status") ?? 302);
  if (![301, 302, 303, 307, 308].includes(status)) throw new HttpProblem(400, "status must be a redirect");
  sendJson(ex, status, { location: to }, { location: to });
}

/** /slow?ms=<n>: the response head only after n ms (default 10 s), for timeouts. */
async function slow(ex: Exchange): Promise<void> {
  const raw = ex.url.searchParams.get("ms") ?? "10000";
  if (!/^\d{1,7}$/.test(raw)) throw new HttpProblem(400, "ms must be an integer");
  const ms = Number(raw);
  try {
    await delay(ms, undefined, { signal: ex.signal });
  } catch {
    return; // the client left
  }
  sendJson(ex, 200, { slept_ms: ms });
}

/** /upload: reads a body of any size as it streams in; answers its length and SHA-256. */
async function upload(ex: Exchange): Promise<void> {
  if (ex.req.method !== "POST" && ex.req.method !== "PUT") throw new HttpProblem(405, "Method Not Allowed");
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of ex.req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  sendJson(ex, 200, { bytes, sha256: hash.digest("hex") });
}

export interface RouteDeps {
  readonly issues: IssueStore;
  readonly bytesPerSecond: number;
}

export async function route(ex: Exchange, deps: RouteDeps): Promise<void> {
  const path = ex.url.pathname;
  if (path === "/echo-headers") return echoHeaders(ex);
  if (path === "/redirect") return redirect(ex);
  if (path === "/slow") return slow(ex);
  if (path === "/upload") return upload(ex);
  const bytes = /^\/bytes\/([^/]+)$/.exec(path);
  if (bytes) return streamBytes(ex, bytes[1] ?? "", deps.bytesPerSecond);
  const issues = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/([^/]+))?$/.exec(path);
  if (issues) return deps.issues.handle(ex, `${issues[1]}/${issues[2]}`, issues[3]);
  throw new HttpProblem(404, "Not Found");
}
