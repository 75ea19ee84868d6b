import { createServer as createHttpServer, type RequestListener } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * Node's HTTP parser rejects the `LIST` verb that Vault clients (node-vault's `list()`, the Go SDK) send, so each
 * connection passes through this wrapper, which rewrites a request line `LIST /p HTTP/1.1` into the equivalent
 * `GET /p?list=true HTTP/1.1` (the api-docs say the two are the same). Clients do not pipeline, so a request line
 * always starts a chunk.
 */
class ListRewritingSocket extends Duplex {
  constructor(private readonly socket: Socket) {
    super();
    socket.on("data", (chunk: Buffer) => {
      if (!this.push(rewriteList(chunk))) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("error", (error) => this.destroy(error));
    socket.on("close", () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

function rewriteList(chunk: Buffer): Buffer {
  if (chunk.length < 5 || chunk.toString("latin1", 0, 5) !== "LIST ") return chunk;
  const end = chunk.indexOf(" ", 5, "latin1");
  if (end === -1) return chunk;
  const target = chunk.toString("latin1", 5, end);
  const rewritten = `GET ${target}${target.includes("?") ? "&" : "?"}list=true`;
  return Buffer.concat([Buffer.from(rewritten, "latin1"), chunk.subarray(end)]);
}

export interface Transport {
  readonly port: number;
  /** Drops every connection and stops listening for `ms` (clients see ECONNREFUSED), then listens again. */
  refuse(ms: number): void;
  resume(): Promise<void>;
  close(): Promise<void>;
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      if (address && typeof address === "object") resolve(address.port);
      else reject(new Error("vault emulator: no listening address"));
    });
  });
}

export async function listen(handler: RequestListener, port: number): Promise<Transport> {
  const http = createHttpServer(handler);
  const sockets = new Set<Socket>();
  const net = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    http.emit("connection", new ListRewritingSocket(socket));
  });
  const bound = await listenOn(net, port);
  let timer: NodeJS.Timeout | undefined;

  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!net.listening) resolve();
      else net.close(() => resolve());
    });
  const resume = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!net.listening) await listenOn(net, bound);
  };

  return {
    port: bound,
    refuse(ms) {
      if (timer) clearTimeout(timer);
      dropAll();
      void stopListening();
      timer = setTimeout(() => void resume().catch(() => undefined), ms);
    },
    resume,
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      dropAll();
      await stopListening();
      http.close();
    },
  };
}
