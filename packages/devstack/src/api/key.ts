import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type KeyVerdict = "ok" | "missing" | "wrong";

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * How a request is checked for the key: exactly one header line (or query parameter) of the configured name,
 * equal to the expected value. A second one, even next to a right one, is refused: a gateway that forwarded the
 * agent's header alongside the injected one must not pass.
 */
export function keyChecker(opts: { apiKey: string; header?: string; format?: string; query?: string }) {
  if (opts.query) {
    const name = opts.query;
    return (_req: IncomingMessage, url: URL): KeyVerdict => {
      const values = url.searchParams.getAll(name);
      if (values.length === 0) return "missing";
      return values.length === 1 && same(values[0] ?? "", opts.apiKey) ? "ok" : "wrong";
    };
  }
  const name = (opts.header ?? "authorization").toLowerCase();
  const format = opts.format ?? (name === "authorization" ? "Bearer {key}" : "{key}");
  const expected = format.replace("{key}", opts.apiKey);
  return (req: IncomingMessage): KeyVerdict => {
    const values: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]?.toLowerCase() === name) values.push(req.rawHeaders[i + 1] ?? "");
    }
    if (values.length === 0) return "missing";
    return values.length === 1 && same(values[0] ?? "", expected) ? "ok" : "wrong";
  };
}
