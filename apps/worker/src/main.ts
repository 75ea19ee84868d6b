import { setPriority } from "node:os";
import { createLogger, handleShutdown, loadEnv, readLeashConfig } from "@leash/runtime";
import { startWorker } from "./worker.js";

const env = loadEnv();
// Raising the nice value needs no privilege. On Linux it applies to the calling thread: the one running JavaScript.
if (env.LEASH_WORKER_NICE > 0) setPriority(env.LEASH_WORKER_NICE);
const config = await readLeashConfig(env.LEASH_CONFIG).catch((error: Error) => {
  process.stderr.write(`leash-worker: ${error.message}\n`);
  process.exit(2);
});
let restart = false;
let begin: ((reason: "shard map grew") => void) | undefined;
// Shards added by `leash shards migrate` are worked once the process starts again: its supervisor restarts it.
const stop = await startWorker(env, config, () => {
  restart = true;
  begin?.("shard map grew");
});

begin = handleShutdown({
  timeoutMs: env.LEASH_SHUTDOWN_TIMEOUT_MS,
  logger: createLogger("leash-worker", env.LOG_LEVEL),
  // Jobs still running at the deadline are abandoned (exit 1): their locks lapse and another worker runs them
  // again, which revocations and campaigns allow.
  async stop(deadline) {
    await stop(deadline);
    return restart ? "restart" : "clean";
  },
});
if (restart) begin("shard map grew");
