import { createServer } from "node:net";

/** Ports this process has handed out: the OS may offer a port again once its probe closed, before anyone binds it. */
const handedOut = new Set<number>();

/** One port the OS picks on 127.0.0.1, released at once. */
function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not allocate a port"));
      });
    });
  });
}

/**
 * A port from `allocate` that this process has not handed out before, so two ports asked for one after the other
 * (an API and its worker's metrics) never collide while neither is bound yet.
 */
export async function distinctPort(allocate: () => Promise<number>, seen: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await allocate();
    if (!seen.has(port)) {
      seen.add(port);
      return port;
    }
  }
  throw new Error("could not allocate a port this process has not handed out already");
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it), never one this process handed out before. */
export function freePort(): Promise<number> {
  return distinctPort(osPort, handedOut);
}
