import { createLogger, handleShutdown, loadEnv, readLeashConfig } from "@leash/runtime";
import { loadGatewayEnv } from "./env.js";
import { wireGateway } from "./wiring.js";

const env = loadEnv();
const own = loadGatewayEnv();
const fail = (error: Error) => {
  // Configuration problems (no gateway section, an unreachable Redis or Vault) end start-up with their message.
  process.stderr.write(`leash-gateway: ${error.message}\n`);
  process.exit(2);
};
const config = await readLeashConfig(env.LEASH_CONFIG).catch(fail);
const logger = createLogger("leash-gateway", env.LOG_LEVEL);
const { close } = await wireGateway(env, own, config, logger).catch(fail);

handleShutdown({
  timeoutMs: env.LEASH_SHUTDOWN_TIMEOUT_MS,
  logger,
  // Responses in flight finish first; past the deadline they are cut and the process exits 1.
  async stop(deadline) {
    return (await close(deadline)) ? "clean" : "abandoned";
  },
});
