import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay in front of Redis that a test can make misbehave: `freeze` stops relaying in both directions (a Redis
 * that stops answering, connections still open), `cut` drops every connection and holds new ones unanswered until
 * `heal`. Only for tests: nothing here is fast or careful.
 */
export interface TcpProxy {
  url: string;
  freeze(): void;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let frozen = false;
  let holding = false;
  const held: Pair[] = [];
  const buffered: [Socket, Buffer][] = [];

  const relay = (to: Socket) => (data: Buffer) => {
    if (frozen) buffered.push([to, data]);
    else to.write(data);
  };

  function open(pair: Pair): void {
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    pair.client.on("data", relay(upstream));
    upstream.on("data", relay(pair.client));
    const end = () => {
      pair.client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    upstream.on("close", end).on("error", end);
    pair.client.on("close", end).on("error", end);
  }

  const server: Server = createServer((client) => {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    if (holding) {
      held.push(pair);
      client.on("error", () => pairs.delete(pair));
    } else open(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  return {
    url: `redis://127.0.0.1:${address.port}`,
    freeze() {
      frozen = true;
    },
    cut() {
      holding = true;
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
    },
    heal() {
      frozen = false;
      for (const [to, data] of buffered.splice(0)) if (!to.destroyed) to.write(data);
      holding = false;
      for (const pair of held.splice(0)) if (!pair.client.destroyed) open(pair);
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
