import type { IncomingMessage, ServerResponse } from "node:http";
import type { ReceivedRequest } from "./record.js";

/** What a route gets: the request, its response, the record to keep current, and an abort on client loss. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly record: ReceivedRequest;
  /** Aborted when the client goes away before the response is complete. */
  readonly signal: AbortSignal;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(ex: Exchange, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = status === 204 ? "" : JSON.stringify(body);
  ex.res.writeHead(status, {
    ...(status === 204 ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  ex.record.bytesOut += ex.req.method === "HEAD" ? 0 : Buffer.byteLength(text);
  ex.res.end(text);
}

const MAX_JSON = 1024 * 1024;

/**
 * The body as a JSON object. Past 1 MiB it keeps reading (and dropping) to the end before answering 413, so the
 * client sees the status rather than a reset connection.
 */
export async function readJsonObject(ex: Exchange): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ex.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_JSON) chunks.push(chunk);
  }
  if (size > MAX_JSON) throw new HttpProblem(413, "Request body too large");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpProblem(400, "Problems parsing JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpProblem(400, "Problems parsing JSON");
  }
  return parsed as Record<string, unknown>;
}
