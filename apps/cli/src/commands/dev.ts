import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createDevIssuer,
  devTrustConfig,
  ENTRYPOINTS,
  REPO_ROOT,
  type RedisServer,
  spawnTs,
  startDevAws,
  startDevIssuerServer,
  startDevVault,
  startRedisServer,
  waitFor,
} from "@leash/devstack";
import { rotateSigningKeys } from "@leash/providers";
import { devPath, writeDevState } from "./dev-state.js";
import { walkthrough } from "./walkthrough.js";

/**
 * `pnpm dev`: a private redis-server (unless REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set), the dev
 * identity issuer, the API and the worker, all on this machine; then prints how to make a first request.
 */
export async function dev(): Promise<number> {
  const port = Number(process.env.PORT ?? 8080);
  const external = ["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS"].some((name) => process.env[name]);
  const redis: RedisServer | undefined = external
    ? undefined
    : await startRedisServer({ dir: devPath("redis"), appendOnly: true });
  const redisUrl = process.env.REDIS_URL ?? redis?.url ?? "";
  const issuer = await createDevIssuer({ keyFile: devPath("issuer-key.json") });
  const issuerServer = await startDevIssuerServer(issuer, {
    port: Number(process.env.LEASH_DEV_ISSUER_PORT ?? 0),
  });
  const vault = await startDevVault(Number(process.env.LEASH_DEV_VAULT_PORT ?? 0));
  const aws = await startDevAws(Number(process.env.LEASH_DEV_AWS_PORT ?? 0));
  const configFile = devPath("leash.json");
  const trust = devTrustConfig({ issuerUrl: issuerServer.issuerUrl, jwksUri: issuerServer.jwksUri });
  const config = {
    ...trust,
    providers: { "leash-jwt": {}, vault: vault.providerConfig, "aws-sts": aws.providerConfig },
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
  const processes = [
    spawnTs("api", ENTRYPOINTS.api, { env, echo: true }),
    spawnTs("worker", ENTRYPOINTS.worker, { env, echo: true }),
  ];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await issuerServer.stop();
    await vault.emulator.stop();
    await aws.emulator.stop();
    await redis?.stop();
  };
  try {
    await waitFor(
      async () => {
        for (const p of processes)
          if (p.child.exitCode !== null) throw new Error(`the ${p.name} exited early`);
        const res = await fetch(`${apiUrl}/readyz`);
        return res.ok ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `the API at ${apiUrl} to be ready` },
    );
  } catch (error) {
    process.stderr.write(`leash dev: ${(error as Error).message}\n`);
    await stopAll();
    return 1;
  }
  writeDevState({
    api_url: apiUrl,
    issuer_url: issuerServer.issuerUrl,
    issuer_key_file: devPath("issuer-key.json"),
    redis_url: redisUrl,
    pid: process.pid,
  });
  process.stdout.write(walkthrough(apiUrl, configFile, { vault: vault.emulator.url, aws: aws.emulator.url }));
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    for (const p of processes) void p.exited.then(() => resolve());
  });
  await stopAll();
  return 0;
}
