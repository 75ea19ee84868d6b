import type { IncomingMessage } from "node:http";
import { LeashError } from "@leash/core";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ApiEnv } from "../env.js";

const JSON_TYPE = /^application\/json\b/i;

const tooLarge = (limit: number) =>
  new LeashError("payload_too_large", `the request body exceeds ${limit} bytes`);

async function readCapped(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Caps request bodies at `limit` bytes. Under the Node server, JSON bodies are read straight from the socket and
 * handed to Hono's body cache already parsed: building a WHATWG Request and stream for every call cost more CPU than
 * the rest of issuance. Anything else (forms, in-process test requests) goes through Hono's own body limit.
 */
export function cappedBody(limit: number): MiddlewareHandler<ApiEnv> {
  const standard = bodyLimit({
    maxSize: limit,
    onError: () => {
      throw tooLarge(limit);
    },
  });
  return async function cappedBodyMiddleware(c, next) {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const method = c.req.method;
    if (
      !incoming ||
      method === "GET" ||
      method === "HEAD" ||
      !JSON_TYPE.test(c.req.header("content-type") ?? "")
    )
      return standard(c, next);
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
    const raw = await readCapped(incoming, limit);
    // The Node adapter builds the WHATWG body from `rawBody` if anything still asks for it.
    (incoming as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
    const text = raw.toString("utf8");
    // Hono keeps promises in its body cache, whatever its declared type says.
    const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
    try {
      cache.json = Promise.resolve(JSON.parse(text));
    } catch {
      // Left as text: the validator's own parse fails and answers malformed_json, as on the standard path.
      cache.text = Promise.resolve(text);
    }
    await next();
  };
}
