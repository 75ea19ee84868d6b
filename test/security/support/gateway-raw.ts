import { connect } from "node:net";

export interface RawAnswer {
  /** Everything the gateway sent, as latin1 text (status line, headers, body). */
  text: string;
  status: number;
  /** The gateway closed the connection (rather than the test giving up waiting). */
  closed: boolean;
  /** Milliseconds from the first byte sent to the connection's end. */
  ms: number;
}

/**
 * Sends `bytes` exactly as given over a fresh TCP connection (no client library to normalise anything) and
 * collects the answer until the gateway closes or `waitMs` passes. `then` sends more after the first bytes (a
 * request smuggled behind another, a slow head).
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  options: { waitMs?: number; untilComplete?: boolean } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      socket.destroy();
      resolve({ text, status, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(finish, options.waitMs ?? 3_000);
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      if (options.untilComplete && /\r\n\r\n/.test(Buffer.concat(chunks).toString("latin1"))) {
        const text = Buffer.concat(chunks).toString("latin1");
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? -1);
        if (length >= 0 && Buffer.byteLength(text.slice(text.indexOf("\r\n\r\n") + 4), "latin1") >= length)
          finish();
      }
    });
    socket.on("end", () => {
      closed = true;
      finish();
    });
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") {
        closed = true;
        finish();
      } else reject(error);
    });
    socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  });
}

/** A request head in HTTP/1.1 wire form. */
export function head(requestLine: string, headers: [string, string][], body = ""): string {
  return `${requestLine}\r\n${headers.map(([n, v]) => `${n}: ${v}`).join("\r\n")}\r\n\r\n${body}`;
}
