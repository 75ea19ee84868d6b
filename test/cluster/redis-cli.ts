import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
export const HOST = "127.0.0.1";

/**
 * One redis-cli command against a local port; the reply as text. The harness asks nodes through redis-cli, not
 * through a client, so it sees each node's own view (a cluster client would follow redirections).
 */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", HOST, "-p", String(port), ...args]);
  return stdout.trim();
}

/** `field:value` lines of INFO or CLUSTER INFO. */
export async function info(port: number, ...command: string[]): Promise<Record<string, string>> {
  const text = await redisCli(port, ...command);
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]),
  );
}
