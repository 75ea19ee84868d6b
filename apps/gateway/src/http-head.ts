import type { IncomingMessage } from "node:http";
import { GatewayRefusal } from "./problem.js";

/**
 * Headers that must appear at most once: two `Authorization` headers leave open which one a server reads, two
 * `Host` headers are a classic routing confusion. Node's parser already refuses repeated Content-Length and
 * Transfer-Encoding, Transfer-Encoding with Content-Length, obs-fold, bare CR or LF, NUL and other control bytes,
 * and authority-form targets (see server.ts).
 */
const SINGLE: ReadonlySet<string> = new Set(["host", "authorization", "content-length", "transfer-encoding"]);

const malformed = (detail: string) => new GatewayRefusal("invalid_request", detail, true);

/**
 * What Node's parser lets through that the gateway still refuses, with 400 and the connection closed: a target
 * that is not origin-form (absolute-form `http://…`, asterisk-form `*`), a fragment, HTTP versions other than 1.0
 * and 1.1, a Transfer-Encoding other than exactly `chunked`, and repeated single-valued headers.
 */
export function checkHead(req: IncomingMessage): void {
  const target = req.url ?? "";
  if (!target.startsWith("/"))
    throw malformed("target: only origin-form request targets (/u/<upstream>/...)");
  if (target.includes("#")) throw malformed("target: a request target carries no fragment");
  if (req.httpVersion !== "1.1" && req.httpVersion !== "1.0")
    throw malformed("version: HTTP/1.1 or HTTP/1.0");
  const seen = new Set<string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? "").toLowerCase();
    if (!SINGLE.has(name)) continue;
    if (seen.has(name)) throw malformed(`header: ${name} appears more than once`);
    seen.add(name);
    if (name === "transfer-encoding" && (raw[i + 1] ?? "").trim().toLowerCase() !== "chunked") {
      throw malformed("header: transfer-encoding other than chunked");
    }
  }
  if (req.httpVersion === "1.1" && !seen.has("host")) throw malformed("header: HTTP/1.1 needs a host header");
}
