import { request } from "node:http";
import type { Seen } from "./problem.js";

export interface RawRequest {
  method: string;
  /** Sent as given (fetch would resolve `..` and re-encode), except what HTTP cannot carry (see `sendablePath`). */
  path: string;
  headers?: Record<string, string>;
  /** A string or bytes; with `chunked`, sent without a content-length. */
  body?: string | Uint8Array;
  chunked?: boolean;
}

/**
 * What may stand in a request line: printable ASCII. Everything else is percent-encoded as UTF-8; `%` itself is
 * left alone on purpose, so malformed escapes (`%zz`, `%`) reach the server as they are.
 */
function sendablePath(path: string): string {
  let out = "";
  for (const char of path) {
    const code = char.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f && char !== "#") out += char;
    else
      out += Array.from(
        Buffer.from(char, "utf8"),
        (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
      ).join("");
  }
  return out;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * One HTTP/1.1 request over a fresh connection, without any of fetch's normalisation. The body goes out in chunks
 * and stops as soon as the server answers, as curl does: a server may refuse an oversized body before reading it.
 */
export function rawRequest(base: string, req: RawRequest): Promise<Seen> {
  const url = new URL(base);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    let answered = false;
    // Keep-alive, as browsers and SDKs send it: with `close`, a server that answers an upload early closes the
    // socket with the rest unread, and the reset can reach the client before the answer does.
    const headers: Record<string, string | number> = { connection: "keep-alive", ...req.headers };
    if (body !== undefined && !req.chunked) headers["content-length"] = body.byteLength;
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: sendablePath(req.path),
        headers,
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const seenHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value ?? ""]) seenHeaders.append(name, v);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: seenHeaders,
            body: Buffer.concat(chunks).toString("utf8"),
          });
          outgoing.destroy();
        });
        res.on("error", reject);
      },
    );
    // Once answered, a refused upload may end in EPIPE or a reset: that is the server declining the rest.
    outgoing.on("error", (error) => {
      if (!answered) reject(error);
    });
    const pump = async () => {
      for (let at = 0; body !== undefined && at < body.byteLength; at += CHUNK_BYTES) {
        if (answered || outgoing.destroyed) return;
        if (!outgoing.write(body.subarray(at, at + CHUNK_BYTES))) {
          await new Promise<void>((done) => {
            const settle = () => {
              outgoing.off("drain", settle).off("close", settle);
              done();
            };
            outgoing.on("drain", settle).on("close", settle);
          });
        }
      }
      if (!answered && !outgoing.destroyed) outgoing.end();
    };
    pump().catch(reject);
  });
}
