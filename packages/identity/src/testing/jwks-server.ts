import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";

/** An issuer's JWKS endpoint whose keys, availability and request count the test controls. */
export interface JwksServer {
  readonly url: string;
  readonly jwksUri: string;
  /** Requests received so far. */
  readonly requests: number;
  setKeys(keys: JWK[]): void;
  /** `down`: every request is answered 503; `hang`: requests are never answered. */
  setMode(mode: "up" | "down" | "hang"): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let current = keys;
  let mode: "up" | "down" | "hang" = "up";
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    if (mode === "hang") return;
    if (mode === "down") {
      res.writeHead(503).end();
      return;
    }
    if (req.url !== "/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    jwksUri: `${url}/jwks.json`,
    get requests() {
      return requests;
    },
    setKeys(next) {
      current = next;
    },
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
