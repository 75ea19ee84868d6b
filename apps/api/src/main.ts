import { serve } from "@hono/node-server";
import { loadEnv, readLeashConfig } from "@leash/runtime";
import { createApp } from "./app.js";
import { wireApi } from "./wiring.js";

const env = loadEnv();
const config = await readLeashConfig(env.LEASH_CONFIG).catch((error: Error) => {
  process.stderr.write(`leash-api: ${error.message}\n`);
  process.exit(2);
});
const { ctx, close } = await wireApi(env, config).catch((error: Error) => {
  // Configuration problems (an invalid policy set, an unreachable Redis) end start-up with their own message.
  process.stderr.write(`leash-api: ${error.message}\n`);
  process.exit(2);
});
const app = createApp(ctx);
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  ctx.logger.info({ port: info.port, host: env.HOST, public_url: ctx.publicUrl }, "leash api listening");
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  ctx.logger.info({ signal }, "shutting down: finishing in-flight requests");
  server.close();
  await close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
