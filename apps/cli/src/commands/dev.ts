import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createDevIssuer,
  devGatewaySection,
  devTrustConfig,
  ENTRYPOINTS,
  onStopSignals,
  type ProcessGroup,
  processGroup,
  REPO_ROOT,
  shutdownTimeoutMs,
  spawnTs,
  startDevApi,
  startDevAws,
  startDevIssuerServer,
  startDevVault,
  startRedisServer,
  waitFor,
} from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import { devPath, writeDevState } from "./dev-state.js";
import { walkthrough } from "./walkthrough.js";

/** How long past LEASH_SHUTDOWN_TIMEOUT_MS the API or the worker may take before it is killed. */
const BACKSTOP_MS = 5_000;

/**
 * `pnpm dev`: a private redis-server (unless REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set), the dev
 * identity issuer, the API and the worker, all on this machine; then prints how to make a first request.
 *
 * Everything it starts dies with it: SIGINT, SIGTERM and SIGHUP (at any point, start-up included) stop the API
 * and the worker, then the emulators, then redis-server. If this process is killed outright, the API and the
 * worker notice their IPC channel closing, and redis-server gets a parent-death signal (Linux).
 */
export async function dev(): Promise<number> {
  let stopSignal: NodeJS.Signals | undefined;
  let group: ProcessGroup | undefined;
  let wake = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const off = onStopSignals((signal) => {
    stopSignal ??= signal;
    group?.signal(signal);
    wake();
  });
  /** Undone in reverse: the API and the worker first, redis-server last. */
  const started: (() => Promise<unknown>)[] = [];
  try {
    return await run();
  } finally {
    for (const release of started.reverse()) await release().catch(() => undefined);
    off();
  }

  async function run(): Promise<number> {
    const port = Number(process.env.PORT ?? 8080);
    const external = ["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS"].some(
      (name) => process.env[name],
    );
    const redis = external
      ? undefined
      : await startRedisServer({ dir: devPath("redis"), appendOnly: true, dieWithParent: true });
    if (redis) started.push(() => redis.stop());
    const redisUrl = process.env.REDIS_URL ?? redis?.url ?? "";
    const issuer = await createDevIssuer({ keyFile: devPath("issuer-key.json") });
    const issuerServer = await startDevIssuerServer(issuer, {
      port: Number(process.env.LEASH_DEV_ISSUER_PORT ?? 0),
    });
    started.push(() => issuerServer.stop());
    const vault = await startDevVault(Number(process.env.LEASH_DEV_VAULT_PORT ?? 0));
    started.push(() => vault.emulator.stop());
    const aws = await startDevAws(Number(process.env.LEASH_DEV_AWS_PORT ?? 0));
    started.push(() => aws.emulator.stop());
    const upstream = await startDevApi(vault, Number(process.env.LEASH_DEV_API_PORT ?? 0));
    started.push(() => upstream.emulator.close());
    if (stopSignal) return 0;
    // The gateway section makes the API wait for a gateway (readyz): only with the app there to start.
    const gateway = existsSync(join(REPO_ROOT, ENTRYPOINTS.gateway));
    const configFile = devPath("leash.json");
    const trust = devTrustConfig({ issuerUrl: issuerServer.issuerUrl, jwksUri: issuerServer.jwksUri });
    const config = {
      ...trust,
      providers: { "leash-jwt": {}, vault: vault.providerConfig, "aws-sts": aws.providerConfig },
      ...(gateway ? { gateway: devGatewaySection({ api: upstream, aws, vault }) } : {}),
    };
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const signingKeys = devPath("signing-keys.json");
    if (!existsSync(signingKeys)) await rotateSigningKeys(signingKeys);

    const apiUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      ...(redis ? { REDIS_URL: redis.url } : {}),
      LEASH_CONFIG: configFile,
      LEASH_SIGNING_KEY_FILE: signingKeys,
      LEASH_PUBLIC_URL: apiUrl,
      LEASH_ENVIRONMENT: "development",
      LEASH_POLICY_DIR: process.env.LEASH_POLICY_DIR ?? join(REPO_ROOT, "infra/policies"),
      ...vault.env,
      ...aws.env,
    };
    if (stopSignal) return 0;
    const processes = processGroup(
      [
        spawnTs("api", ENTRYPOINTS.api, { env, echo: true }),
        spawnTs("worker", ENTRYPOINTS.worker, { env, echo: true }),
        ...(gateway ? [spawnTs("gateway", ENTRYPOINTS.gateway, { env, echo: true })] : []),
      ],
      shutdownTimeoutMs(env) + BACKSTOP_MS,
    );
    group = processes;
    started.push(() => processes.stop());
    let early: { name: string } | undefined;
    void processes.firstExit.then((exit) => {
      early = exit;
    });
    const ready = await waitFor(
      async () => {
        if (stopSignal) return false;
        if (early) throw new Error(`the ${early.name} exited early`);
        const res = await fetch(`${apiUrl}/readyz`);
        return res.ok ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `the API at ${apiUrl} to be ready` },
    ).catch((error: Error) => {
      process.stderr.write(`leash dev: ${error.message}\n`);
      return undefined;
    });
    if (ready === undefined) return 1;
    if (!ready) return 0;
    writeDevState({
      api_url: apiUrl,
      issuer_url: issuerServer.issuerUrl,
      issuer_key_file: devPath("issuer-key.json"),
      redis_url: redisUrl,
      pid: process.pid,
    });
    process.stdout.write(
      walkthrough(apiUrl, configFile, {
        vault: vault.emulator.url,
        aws: aws.emulator.url,
        api: upstream.emulator.url,
      }),
    );
    const first = await Promise.race([stopRequested.then(() => undefined), processes.firstExit]);
    if (first && !stopSignal) {
      process.stderr.write(`leash dev: the ${first.name} exited (code ${first.code}); stopping the rest\n`);
      return 1;
    }
    const codes = await processes.exited;
    return codes.every((code) => code === 0) ? 0 : 1;
  }
}
