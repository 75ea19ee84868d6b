import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  DEV_API_SECRET,
  type DevApi,
  type DevAws,
  type DevVault,
  devGatewaySection,
  freePort,
  startDevApi,
  startDevAws,
  startDevVault,
} from "@leash/devstack";
import { inject } from "vitest";
import { createTask, issueLease } from "../../support/fixtures.js";
import { type Stack, startStack } from "../../support/stack.js";

/** A gateway lease as the agent holds it. */
export interface GatewayLease {
  leaseId: string;
  token: string;
  baseUrl: string;
}

/** An origin the secret must never reach: it records every connection it gets. */
interface Sink {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

export interface GatewayStack {
  stack: Stack;
  /** `http://127.0.0.1:<LEASH_GATEWAY_PORT>` */
  gateway: string;
  port: number;
  api: DevApi;
  aws: DevAws;
  vault: DevVault;
  /** The API emulator's key, read back from Vault KV: what must never reach the agent or another origin. */
  apiKey: string;
  /** Another origin (an attacker's): redirects point there; it must receive nothing. */
  elsewhere: Sink;
  lease(agent: string, upstream: string, intent: { action: string; resource: string }): Promise<GatewayLease>;
  stop(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url} ${JSON.stringify(req.rawHeaders)}`);
    res.end("sink");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readApiKey(vault: DevVault): Promise<string> {
  const [mount, ...rest] = DEV_API_SECRET.vault_kv.split("/");
  const res = await fetch(`${vault.emulator.url}/v1/${mount}/data/${rest.join("/")}`, {
    headers: { "x-vault-token": vault.emulator.rootToken },
  });
  const body = (await res.json()) as { data: { data: Record<string, string> } };
  const key = body.data.data[DEV_API_SECRET.key];
  if (!key) throw new Error("the dev API key is not in Vault");
  return key;
}

/**
 * `pnpm start` (API, worker and, for its trust file's gateway section, the gateway) against the dev stack's
 * emulators: the API emulator behind `demo-api` (its key in Vault KV v2), the S3 emulator behind `leash-docs`,
 * Vault's own API behind `vault`.
 */
export async function startGatewayStack(
  env: Record<string, string> = {},
  options: { redisUrl?: string } = {},
): Promise<GatewayStack> {
  const [aws, vault] = await Promise.all([startDevAws(), startDevVault()]);
  const api = await startDevApi(vault);
  const port = await freePort();
  const stack = await startStack({
    redisUrl: options.redisUrl ?? inject("redisUrl"),
    config: {
      providers: { "leash-jwt": {}, "aws-sts": aws.providerConfig, vault: vault.providerConfig },
      gateway: devGatewaySection({ api, aws, vault }),
    },
    env: { ...aws.env, ...vault.env, LEASH_GATEWAY_PORT: String(port), ...env },
  });
  const elsewhere = await startSink();
  const apiKey = await readApiKey(vault);
  const tasks = new Map<string, string>();
  return {
    stack,
    gateway: `http://127.0.0.1:${port}`,
    port,
    api,
    aws,
    vault,
    apiKey,
    elsewhere,
    async lease(agent, upstream, intent) {
      const key = `${agent}\u0000${upstream}\u0000${intent.action}\u0000${intent.resource}`;
      let task = tasks.get(key);
      if (!task) {
        const ceiling = [
          {
            action: intent.action,
            resource: intent.resource.endsWith("/") ? `${intent.resource}*` : intent.resource,
          },
        ];
        task = await createTask(stack, agent, { ceiling });
        tasks.set(key, task);
      }
      const issued = await issueLease(stack, agent, task, { provider: "gateway", target: upstream, intent });
      const credential = issued.credential as unknown as { token: string; base_url: string };
      return { leaseId: issued.lease_id, token: credential.token, baseUrl: credential.base_url };
    },
    async stop() {
      await stack.stop();
      await Promise.all([
        api.emulator.close(),
        aws.emulator.stop(),
        vault.emulator.stop(),
        elsewhere.close(),
      ]);
    },
  };
}
