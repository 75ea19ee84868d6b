import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Received {
  method: string;
  url: string;
  /** Raw header pairs as received. */
  headers: [string, string][];
  body: Buffer;
}

export interface TestUpstream {
  url: string;
  received: Received[];
  /** Releases the responses waiting on `/hold`. */
  release(): void;
  close(): Promise<void>;
}

function pairs(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    out.push([req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? ""]);
  return out;
}

/**
 * A small upstream for the gateway's tests: records what it receives and answers by path. `/echo-headers` echoes
 * every request header in its response headers (`echo-<name>`) and body; `/redirect?to=` answers 302; `/slow`
 * never answers; `/hold` sends a first chunk, then waits for `release()`; `/bytes/<n>` streams n bytes; anything
 * else is `{"ok":true,"path":…}`.
 */
export async function startTestUpstream(): Promise<TestUpstream> {
  const received: Received[] = [];
  let holding: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: pairs(req),
        body: Buffer.concat(chunks),
      });
      const url = new URL(req.url ?? "/", "http://upstream");
      const path = url.pathname.replace(/^\/base/, "");
      if (path === "/echo-headers") {
        const headers: Record<string, string> = { "content-type": "text/plain" };
        for (const [name, value] of pairs(req)) headers[`echo-${name.toLowerCase()}`] = value;
        res.writeHead(200, headers).end(
          pairs(req)
            .map(([n, v]) => `${n}: ${v}`)
            .join("\n"),
        );
      } else if (path === "/redirect") {
        res.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
      } else if (path === "/slow") {
        // Never answers: the gateway's upstream timeout must.
      } else if (path === "/hold") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.write(Buffer.alloc(1024, 1));
        holding.push(() => res.end(Buffer.alloc(1024, 2)));
      } else if (path.startsWith("/bytes/")) {
        const n = Number(path.slice("/bytes/".length));
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(n) });
        res.end(Buffer.alloc(n, 7));
      } else {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ ok: true, path: url.pathname }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    release() {
      for (const r of holding) r();
      holding = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
