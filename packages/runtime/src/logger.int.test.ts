import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The API and the worker log to a pipe read by `leash start` or `leash dev`. When that parent is killed the pipe's
 * reader is gone, and the process exits (its parent-death shutdown): pino flushes what it buffered on exit, and that
 * flush must give up on the broken pipe rather than retry it for ever (sonic-boom 4 did, and the process hung).
 */
const CHILD = `
import { createLogger } from "./src/logger.ts";
const logger = createLogger("broken-pipe", "info");
process.on("message", () => {
  logger.info("written while the first write may still be in flight");
  logger.info("left in the buffer for the exit flush");
  process.exit(0);
});
`;
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

describe("a process whose log reader is gone", () => {
  it("exits instead of hanging in the logger's exit flush", async () => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
      cwd: PACKAGE_DIR,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const exited = once(child, "exit");
    const deadline = setTimeout(() => child.kill("SIGKILL"), 10_000);
    try {
      const { stdout } = child;
      if (!stdout) throw new Error("the child has no stdout pipe");
      stdout.destroy();
      await once(stdout, "close");
      child.send("go");
      const [code, signal] = await exited;
      expect({ code, signal }, "killed at the deadline: the exit flush hung").toEqual({
        code: 0,
        signal: null,
      });
    } finally {
      clearTimeout(deadline);
      child.kill("SIGKILL");
    }
  });
});
