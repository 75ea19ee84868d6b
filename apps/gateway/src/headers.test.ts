import { describe, expect, it } from "vitest";
import { forwardHeaders, relayHeaders } from "./headers.js";

const raw = (pairs: [string, string][]) => pairs.flat();

describe("headers to the upstream", () => {
  it("drops the agent's credential, hop-by-hop headers, client claims and method or path overrides", () => {
    const out = forwardHeaders(
      raw([
        ["Authorization", "Bearer agent-token"],
        ["Proxy-Authorization", "Basic x"],
        ["Host", "evil.example"],
        ["Connection", "keep-alive, X-Secret-Hop"],
        ["X-Secret-Hop", "1"],
        ["Keep-Alive", "timeout=5"],
        ["TE", "trailers"],
        ["Upgrade", "websocket"],
        ["Forwarded", "for=1.2.3.4;host=evil"],
        ["X-Forwarded-For", "1.2.3.4"],
        ["X-Forwarded-Host", "evil.example"],
        ["X-Real-IP", "1.2.3.4"],
        ["X-HTTP-Method-Override", "DELETE"],
        ["X-Original-URL", "/admin"],
        ["Expect", "100-continue"],
        ["Accept-Encoding", "gzip, br"],
        ["X-Leash-Gateway", "1"],
        ["X-Api-Key", "agent-supplied"],
        ["Accept", "application/json"],
        ["Content-Length", "3"],
      ]),
      new Set(["x-api-key"]),
    );
    expect(out).toEqual({ accept: "application/json", "content-length": "3", "accept-encoding": "identity" });
  });

  it("drops the same headers spelt with underscores, which CGI-style servers (PHP, Rack, WSGI) read as dashes", () => {
    const out = forwardHeaders(
      raw([
        ["X_HTTP_Method_Override", "DELETE"],
        ["X_Forwarded_Host", "evil.example"],
        ["X_Original_URL", "/admin"],
        ["X_Vault_Wrap_TTL", "60"],
        ["X_Api_Key", "agent-supplied"],
        ["Proxy_Authorization", "Basic x"],
        ["X_Custom", "kept"],
      ]),
      new Set(["x-api-key"]),
    );
    expect(out).toEqual({ x_custom: "kept", "accept-encoding": "identity" });
  });

  it("keeps repeated end-to-end headers repeated", () => {
    expect(
      forwardHeaders(
        raw([
          ["Cookie", "a=1"],
          ["cookie", "b=2"],
        ]),
        new Set(),
      ),
    ).toMatchObject({
      cookie: ["a=1", "b=2"],
    });
  });
});

describe("headers to the agent", () => {
  it("drops hop-by-hop headers and a forged x-leash-gateway, and passes every value through redact", () => {
    const out = relayHeaders(
      {
        connection: "close, x-hop",
        "x-hop": "1",
        "transfer-encoding": "chunked",
        "x-leash-gateway": "1",
        "content-type": "text/plain",
        "x-echo": ["a=SECRET", "b=2"],
      },
      (v) => v.replace("SECRET", "[redacted]"),
    );
    expect(out).toEqual({ "content-type": "text/plain", "x-echo": ["a=[redacted]", "b=2"] });
  });

  it("drops cookies an upstream sets: a session opened for the injected secret would be a credential", () => {
    const out = relayHeaders({ "set-cookie": ["SESSION=1"], "Set-Cookie2": "x=1", etag: "1" }, (v) => v);
    expect(out).toEqual({ etag: "1" });
  });
});
