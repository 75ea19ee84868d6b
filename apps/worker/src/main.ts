import { loadEnv, readLeashConfig } from "@leash/runtime";
import { startWorker } from "./worker.js";

const env = loadEnv();
const config = await readLeashConfig(env.LEASH_CONFIG).catch((error: Error) => {
  process.stderr.write(`leash-worker: ${error.message}\n`);
  process.exit(2);
});
const stop = await startWorker(env, config);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
