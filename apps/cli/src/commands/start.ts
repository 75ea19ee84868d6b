import { ENTRYPOINTS, onStopSignals, processGroup, shutdownTimeoutMs, spawnTs } from "@leash/devstack";
import { hasGatewaySection } from "./support/gateway-section.js";

/** How long past LEASH_SHUTDOWN_TIMEOUT_MS a child may take before it is killed (it should have exited by then). */
const BACKSTOP_MS = 5_000;

/**
 * `leash start`: the API and the worker for production, configured from the environment, and the gateway when
 * the trust file has a `gateway` section. SIGTERM, SIGINT and SIGHUP are forwarded to each and the command exits
 * once they have, non-zero if any did. If one exits on its own, the others are stopped and the command exits
 * non-zero, so a supervisor (systemd, Kubernetes) restarts them all. If this process is killed outright, they
 * notice (their IPC channel closes) and stop themselves.
 */
export async function start(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const group = processGroup(
    [
      spawnTs("api", ENTRYPOINTS.api, { env, echo: true }),
      spawnTs("worker", ENTRYPOINTS.worker, { env, echo: true }),
      ...(hasGatewaySection(env.LEASH_CONFIG)
        ? [spawnTs("gateway", ENTRYPOINTS.gateway, { env, echo: true })]
        : []),
    ],
    shutdownTimeoutMs(env) + BACKSTOP_MS,
  );
  let requested = false;
  const off = onStopSignals((signal) => {
    requested = true;
    group.signal(signal);
  });
  const first = await group.firstExit;
  const unexpected = !requested;
  if (unexpected) {
    process.stderr.write(`leash: the ${first.name} exited (code ${first.code}); stopping the rest\n`);
  }
  const codes = await group.stop();
  off();
  return !unexpected && codes.every((code) => code === 0) ? 0 : 1;
}
