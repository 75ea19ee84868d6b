import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { checkHead } from "./http-head.js";
import { GatewayRefusal } from "./problem.js";

function req(url: string, headers: [string, string][], httpVersion = "1.1"): IncomingMessage {
  return { url, httpVersion, rawHeaders: headers.flat() } as unknown as IncomingMessage;
}
const host: [string, string] = ["Host", "gw"];

function refused(r: IncomingMessage): GatewayRefusal | undefined {
  try {
    checkHead(r);
    return undefined;
  } catch (error) {
    if (error instanceof GatewayRefusal) return error;
    throw error;
  }
}

describe("request heads Node's parser lets through", () => {
  it("admits an ordinary origin-form request", () => {
    expect(refused(req("/u/a/b?c", [host, ["Transfer-Encoding", "chunked"]]))).toBeUndefined();
    expect(refused(req("/u/a/b", [], "1.0"))).toBeUndefined();
  });

  it("refuses other target forms, fragments, versions, repeated single headers and odd codings, closing", () => {
    const cases = [
      req("http://evil.example/u/a/b", [host]),
      req("*", [host]),
      req("/u/a/b#frag", [host]),
      req("/u/a/b", [host], "0.9"),
      req("/u/a/b", [host, ["host", "evil"]]),
      req("/u/a/b", [host, ["Authorization", "Bearer a"], ["authorization", "Bearer b"]]),
      req("/u/a/b", [host, ["Transfer-Encoding", "gzip, chunked"]]),
      req("/u/a/b", [host, ["Transfer-Encoding", "identity"]]),
      req("/u/a/b", []),
    ];
    for (const r of cases) {
      const refusal = refused(r);
      expect(refusal?.status, r.url).toBe(400);
      expect(refusal?.close).toBe(true);
    }
  });
});
