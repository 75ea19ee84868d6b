import { serve } from "@hono/node-server";
import { handleShutdown, loadEnv, readLeashConfig } from "@leash/runtime";
import { createApp } from "./app.js";
import { wireApi } from "./wiring.js";

const env = loadEnv();
const config = await readLeashConfig(env.LEASH_CONFIG).catch((error: Error) => {
  process.stderr.write(`leash-api: ${error.message}\n`);
  process.exit(2);
});
const { ctx, close, followShards } = await wireApi(env, config).catch((error: Error) => {
  // Configuration problems (an invalid policy set, an unreachable Redis) end start-up with their own message.
  process.stderr.write(`leash-api: ${error.message}\n`);
  process.exit(2);
});
const app = createApp(ctx);
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  ctx.logger.info({ port: info.port, host: env.HOST, public_url: ctx.publicUrl }, "leash api listening");
});

/** Resolves once every connection has closed: requests in flight are answered, idle keep-alives are cut. */
function drain(): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // A keep-alive connection becomes idle once its last response is sent: cut it then rather than waiting for
    // the client or the keep-alive timeout.
    const cutIdle = setInterval(() => {
      if ("closeIdleConnections" in server) server.closeIdleConnections();
    }, 50);
    cutIdle.unref();
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  });
}

let restart = false;
const begin = handleShutdown({
  timeoutMs: env.LEASH_SHUTDOWN_TIMEOUT_MS,
  logger: ctx.logger,
  // Past the deadline the process exits with requests in flight (exit 1); the clients' sockets go with it.
  async stop() {
    await drain();
    await close();
    return restart ? "restart" : "clean";
  },
});
// Shards added by `leash shards migrate` are served once the process starts again: its supervisor restarts it.
followShards(() => {
  restart = true;
  begin("shard map grew");
});
