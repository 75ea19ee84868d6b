import { createServer, type IncomingMessage, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net";
import type { VaultKvReader } from "@leash/providers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./testing/harness.js";

/**
 * What a hostile agent can make an honest but careless upstream do with the secret the gateway injects: reflect it
 * in pieces, in other encodings, or trade it for a credential of its own. Each upstream route below is one such
 * habit of real servers; the gateway must not let the secret (or anything standing for it) reach the agent.
 */

/** Printable ASCII with every character RFC 3986-strict encoding escapes but encodeURIComponent leaves alone. */
const SECRET = "sk!live'(2026)*0123456789/abcdef+XYZ";

interface Seen {
  method: string;
  url: string;
  headers: [string, string][];
}

function pairs(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    out.push([req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? ""]);
  return out;
}

/** A body honouring `Range: bytes=a-b` as a static file server would. */
function ranged(req: IncomingMessage, body: string): { status: number; body: string } {
  const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
  if (!range) return { status: 200, body };
  return { status: 206, body: body.slice(Number(range[1]), Number(range[2]) + 1) };
}

/**
 * `/cookie` opens a session for whoever presented the key (as servers with HTTP Basic do); `/echo` answers with
 * what it received, honouring Range; `/echo-json` the same as JSON with `/` escaped (`\/`, as PHP writes it);
 * `/echo-b64` the Authorization header base64-encoded in a header and in the body.
 */
async function startReflector(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: pairs(req) });
      const path = (req.url ?? "").split("?")[0];
      const echo = `${req.method} ${req.url}\n${pairs(req)
        .map(([n, v]) => `${n}: ${v}`)
        .join("\n")}`;
      if (path === "/cookie") {
        res.writeHead(200, { "set-cookie": "SESSION=derived-from-the-key; Path=/; HttpOnly" }).end("{}");
      } else if (path === "/echo") {
        const answer = ranged(req, echo);
        res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
      } else if (path === "/echo-json") {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ echo }).replaceAll("/", "\\/"));
      } else if (path === "/echo-b64") {
        const b64 = Buffer.from(req.headers.authorization ?? "").toString("base64");
        const url = Buffer.from(req.url ?? "").toString("base64url");
        res
          .writeHead(200, { "x-debug-auth": b64, "x-debug-url": url })
          .end(`{"auth":"${b64}","url":"${url}"}`);
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function kvOf(secret: string): VaultKvReader {
  return {
    async start() {},
    async read() {
      return secret;
    },
    close() {},
  };
}

let upstream: Awaited<ReturnType<typeof startReflector>>;
let h: Harness;

beforeAll(async () => {
  upstream = await startReflector();
  h = await startHarness(
    {
      hdr: {
        url: upstream.url,
        auth: {
          type: "header",
          name: "authorization",
          format: "Bearer {secret}",
          secret: { vault_kv: "secret/api", key: "k" },
        },
      },
      qry: {
        url: upstream.url,
        auth: { type: "query", name: "api_key", secret: { vault_kv: "secret/q", key: "k" } },
      },
    },
    { kv: kvOf(SECRET) },
  );
});
afterAll(async () => {
  await h?.close();
  await upstream?.close();
});
afterEach(() => {
  upstream.seen.length = 0;
});

/** Everything the agent got back (status line, headers, body), read to the end or to the cut. */
async function exchange(
  path: string,
  resource: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Headers; text: string }> {
  const upstreamName = path.split("/")[2] ?? "";
  const token = await h.token({ upstream: upstreamName, resource });
  // A cut before the first byte of the body may also take the head with it: the agent sees the connection end.
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { ...headers, authorization: `Bearer ${token}` },
  }).catch(() => undefined);
  if (!res) return { status: 0, headers: new Headers(), text: "(cut)" };
  const text = await res.text().catch(() => "(cut)");
  return { status: res.status, headers: res.headers, text };
}

/** Every form of the secret the agent must never see, as the upstream could write it. */
function expectNoSecret(seen: string) {
  const forms = [
    SECRET,
    encodeURIComponent(SECRET),
    SECRET.replaceAll("/", "\\/"),
    encodeURIComponent(SECRET).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  ];
  for (const form of forms) expect(seen).not.toContain(form);
  // Any run of 12 characters of the secret: a piece is a piece too much.
  for (let i = 0; i + 12 <= SECRET.length; i++) expect(seen).not.toContain(SECRET.slice(i, i + 12));
}

describe("credentials derived from the secret", () => {
  it("never relays a session cookie an upstream opens for the injected key", async () => {
    const answer = await exchange("/u/hdr/cookie", "cookie");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("set-cookie")).toBeNull();
    expect(upstream.seen).toHaveLength(1);
  });
});

describe("a reflected secret in pieces", () => {
  it("never lets Range fetch a reflection of the secret a piece at a time", async () => {
    const pieces: string[] = [];
    // Pieces shorter than the secret: none holds all of it, together they hold it all.
    for (let at = 0; at < 800; at += 20) {
      const answer = await exchange("/u/hdr/echo", "echo", { range: `bytes=${at}-${at + 19}` });
      pieces.push(answer.status === 206 ? answer.text : "");
    }
    expectNoSecret(pieces.join(""));
    for (const s of upstream.seen) expect(s.headers.map(([n]) => n.toLowerCase())).not.toContain("range");
  });
});

describe("a reflected secret in other encodings", () => {
  it("cuts a body that shows the query secret as the gateway itself encoded it (RFC 3986-strict)", async () => {
    const answer = await exchange("/u/qry/echo", "echo");
    expect(upstream.seen[0]?.url).toContain("api_key=");
    expectNoSecret(answer.text);
  });

  it("cuts a body that shows the secret JSON-escaped ('\\/')", async () => {
    const answer = await exchange("/u/hdr/echo-json", "echo-json");
    expectNoSecret(answer.text);
  });

  it("redacts the secret base64-encoded in a header, and cuts a body that shows it so", async () => {
    for (const path of ["/u/hdr/echo-b64", "/u/qry/echo-b64"]) {
      const headOnly = await exchange(path, "echo-b64", {}, "HEAD");
      const header = headOnly.headers.get(path.includes("hdr") ? "x-debug-auth" : "x-debug-url") ?? "";
      expect(header, path).toContain("[redacted]");
      const answer = await exchange(path, "echo-b64");
      for (const value of [header, answer.text]) {
        for (const alphabet of ["base64", "base64url"] as const) {
          expectNoSecret(Buffer.from(value.replaceAll("[redacted]", ""), alphabet).toString("latin1"));
        }
      }
    }
  });
});

/**
 * An upstream that reads no body on GET, nor on anything under `/static/` (the CL.0 habit of some servers and of
 * static-file handlers, whatever the method): what the agent sent as a body stays in the connection as the start
 * of the next request. It records every request line it parses and answers each with that line.
 */
async function startBodyBlindUpstream(): Promise<{ url: string; lines: string[]; close(): Promise<void> }> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = "";
    socket.on("data", (data: Buffer) => {
      buffered += data.toString("latin1");
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffered.slice(0, end);
        const line = head.split("\r\n")[0] ?? "";
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const blindToBody = line.startsWith("GET ") || line.includes(" /static/");
        // It answers once the body has arrived (as a server does that answers after reading what it expects),
        // but leaves that body in the connection, where it is read as what comes next.
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + (blindToBody ? 0 : length));
        lines.push(line);
        const body = JSON.stringify({ line });
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends raw bytes to the gateway on a fresh connection; resolves with what came back once it closes. */
function rawToGateway(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.on("data", (d: Buffer) => {
      data += d.toString("latin1");
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on("error", () => undefined);
    socket.write(text);
  });
}

describe("the upstream connection pool", () => {
  it("never lets one agent's body prefix another agent's request on a shared upstream connection (CL.0)", async () => {
    const blind = await startBodyBlindUpstream();
    const own = await startHarness(
      {
        blind: {
          url: blind.url,
          auth: { type: "header", name: "x-api-key", secret: { vault_kv: "secret/b", key: "k" } },
        },
      },
      { kv: kvOf(SECRET) },
    );
    try {
      const attacker = await own.token({
        upstream: "blind",
        action: "write",
        resource: "static/",
        methods: ["GET", "POST"],
        leaseId: "lease-attacker",
      });
      const victim = await own.token({ upstream: "blind", resource: "docs/", leaseId: "lease-victim" });
      // The body is the start of a request whose last header swallows whatever comes next on the connection: the
      // victim's request line and headers, the credential the gateway injects for it included.
      const smuggled = "GET /docs/captured HTTP/1.1\r\nX-Swallow: ";
      for (const [method, path] of [
        ["GET", "static/a"],
        ["POST", "static/upload"],
      ]) {
        await rawToGateway(
          own.gateway.port,
          `${method} /u/blind/${path} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${attacker}\r\n` +
            `Content-Length: ${smuggled.length}\r\nConnection: close\r\n\r\n${smuggled}`,
        );
        const res = await fetch(`${own.url}/u/blind/docs/b`, {
          headers: { authorization: `Bearer ${victim}` },
        });
        expect(await res.json(), method).toEqual({ line: "GET /docs/b HTTP/1.1" });
      }
      expect(blind.lines).not.toContain("GET /docs/captured HTTP/1.1");
    } finally {
      await own.close();
      await blind.close();
    }
  });
});
