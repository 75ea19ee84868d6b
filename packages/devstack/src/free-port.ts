import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Ports this process has handed out: a probe closes at once, so nothing else marks them taken until they are bound. */
const handedOut = new Set<number>();

/** Below this, ports belong to well-known and registered services that a test must not shadow. */
const LOWEST_PORT = 20_000;
/** Test processes running side by side (vitest workers) each draw from their own slice of the range. */
const SLICES = 16;

/**
 * The ports the OS never assigns on its own: outside the ephemeral range it draws from for port-0 listeners and
 * for the local end of every outgoing connection. A port picked inside that range can be taken by any client socket
 * in the moment between the probe and the real bind (seen in CI: a worker's metrics port lost to a connection).
 */
export function quietRange(ephemeral = ephemeralRange()): { from: number; to: number } | undefined {
  if (ephemeral.from - LOWEST_PORT >= SLICES * 64) return { from: LOWEST_PORT, to: ephemeral.from - 1 };
  if (65_535 - ephemeral.to >= SLICES * 64) return { from: ephemeral.to + 1, to: 65_535 };
  return undefined;
}

function ephemeralRange(): { from: number; to: number } {
  try {
    const [from, to] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(from) && Number.isInteger(to)) return { from: from as number, to: to as number };
  } catch {
    // not Linux: fall through to the IANA dynamic range, which macOS and Windows use
  }
  return { from: 49_152, to: 65_535 };
}

/** Whether `port` can be bound on 127.0.0.1 right now; the probe is released before this resolves. */
function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(address && typeof address === "object" ? address.port : undefined));
    });
  });
}

/** The slice of the quiet range this process draws from, and a cursor that walks it from a random start. */
function sliceCursor(range: { from: number; to: number }, sliceKey: number): () => number {
  const sliceSize = Math.floor((range.to - range.from + 1) / SLICES);
  const sliceStart = range.from + (sliceKey % SLICES) * sliceSize;
  let offset = Math.floor(Math.random() * sliceSize);
  return () => sliceStart + (offset++ % sliceSize);
}

function processSliceKey(): number {
  const poolId = Number(process.env.VITEST_POOL_ID);
  return Number.isInteger(poolId) && poolId > 0 ? poolId - 1 : process.pid;
}

const range = quietRange();
const nextCandidate = range ? sliceCursor(range, processSliceKey()) : undefined;

/**
 * A port from `allocate` that this process has not handed out before, so two ports asked for one after the other
 * (an API and its worker's metrics) never collide while neither is bound yet.
 */
export async function distinctPort(
  allocate: () => Promise<number | undefined>,
  seen: Set<number>,
  attempts = 50,
): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await allocate();
    if (port !== undefined && !seen.has(port)) {
      seen.add(port);
      return port;
    }
  }
  throw new Error("could not allocate a port this process has not handed out already");
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago and that the OS does not hand to other sockets on its own,
 * never one this process handed out before.
 */
export function freePort(): Promise<number> {
  if (!nextCandidate) return distinctPort(() => bindable(0), handedOut);
  return distinctPort(() => bindable(nextCandidate()), handedOut, 1_000);
}
