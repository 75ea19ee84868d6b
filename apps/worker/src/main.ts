import { createLogger, handleShutdown, loadEnv, readLeashConfig } from "@leash/runtime";
import { startWorker } from "./worker.js";

const env = loadEnv();
const config = await readLeashConfig(env.LEASH_CONFIG).catch((error: Error) => {
  process.stderr.write(`leash-worker: ${error.message}\n`);
  process.exit(2);
});
const stop = await startWorker(env, config);

handleShutdown({
  timeoutMs: env.LEASH_SHUTDOWN_TIMEOUT_MS,
  logger: createLogger("leash-worker", env.LOG_LEVEL),
  // Jobs still running at the deadline are abandoned (exit 1): their locks lapse and another worker runs them
  // again, which revocations and campaigns allow.
  async stop(deadline) {
    await stop(deadline);
    return "clean";
  },
});
