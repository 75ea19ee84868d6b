import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
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
import { createTask, issueLease } from "./fixtures.js";
import { descendants } from "./processes.js";
import { type Stack, startStack } from "./stack.js";

/** One request as an upstream received it: its target and every header line as sent. */
interface Arrival {
  method: string;
  target: string;
  headers: readonly (readonly [string, string])[];
}

/**
 * A pass-through in front of an upstream that records what arrives, headers untouched (Host included, so a SigV4
 * signature made for this origin still verifies at the upstream behind it).
 */
interface RecordingProxy {
  url: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const to = new URL(upstream);
  const arrivals: Arrival[] = [];
  const pairs = (raw: readonly string[]) =>
    raw.flatMap((v, i) => (i % 2 === 0 ? [[v, raw[i + 1] ?? ""] as const] : []));
  const server: Server = createServer((req: IncomingMessage, res) => {
    arrivals.push({ method: req.method ?? "", target: req.url ?? "", headers: pairs(req.rawHeaders) });
    const out = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gateway lease as the agent holds it. */
export interface GatewayLease {
  leaseId: string;
  token: string;
  baseUrl: string;
}

export interface GatewayStack {
  stack: Stack;
  /** `http://127.0.0.1:<LEASH_GATEWAY_PORT>` */
  gateway: string;
  port: number;
  api: DevApi;
  aws: DevAws;
  vault: DevVault;
  /** What reached the S3 emulator (through a recording pass-through). */
  s3: RecordingProxy;
  /** The API emulator's key, read back from Vault KV: what the gateway injects and the agent never holds. */
  apiKey: string;
  /** The gateway process `pnpm start` runs. */
  gatewayPid(): number;
  /** A task for `agent` whose ceiling is `ceiling` (`<prefix>*` for each prefix). */
  task(agent: string, ceiling: readonly { action: string; resource: string }[]): Promise<string>;
  lease(
    agent: string,
    taskId: string,
    upstream: string,
    intent: { action: string; resource: string },
  ): Promise<GatewayLease>;
  stop(): Promise<void>;
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
 * `pnpm start` with the dev stack's gateway section: `demo-api` (the API emulator, its key in Vault KV v2),
 * `leash-docs` (the S3 emulator's bucket, signed by the gateway with SigV4) and `vault`.
 */
export async function startGatewayStack(
  env: Record<string, string> = {},
  options: { redisUrl?: string } = {},
): Promise<GatewayStack> {
  const [aws, vault] = await Promise.all([startDevAws(), startDevVault()]);
  const [api, s3] = await Promise.all([startDevApi(vault), startRecordingProxy(aws.emulator.url)]);
  const section = devGatewaySection({ api, aws, vault }) as {
    upstreams: Record<string, { url: string }>;
  };
  const docs = section.upstreams["leash-docs"];
  if (docs) docs.url = docs.url.replace(aws.emulator.url, s3.url);
  const port = await freePort();
  const stack = await startStack({
    redisUrl: options.redisUrl ?? inject("redisUrl"),
    config: {
      providers: { "leash-jwt": {}, "aws-sts": aws.providerConfig, vault: vault.providerConfig },
      gateway: section,
    },
    env: { ...aws.env, ...vault.env, LEASH_GATEWAY_PORT: String(port), ...env },
  });
  const apiKey = await readApiKey(vault);
  return {
    stack,
    gateway: `http://127.0.0.1:${port}`,
    port,
    api,
    aws,
    vault,
    s3,
    apiKey,
    gatewayPid() {
      const found = descendants(process.pid).find((p) => p.args.includes("apps/gateway/"));
      if (!found) throw new Error("no gateway process below this test");
      return found.pid;
    },
    task: (agent, ceiling) =>
      createTask(stack, agent, {
        ceiling: ceiling.map((c) => ({
          ...c,
          resource: c.resource.endsWith("/") ? `${c.resource}*` : c.resource,
        })),
      }),
    async lease(agent, taskId, upstream, intent) {
      const issued = await issueLease(stack, agent, taskId, {
        provider: "gateway",
        target: upstream,
        intent,
      });
      const credential = issued.credential as unknown as { token: string; base_url: string };
      return { leaseId: issued.lease_id, token: credential.token, baseUrl: credential.base_url };
    },
    async stop() {
      await stack.stop();
      await Promise.all([api.emulator.close(), aws.emulator.stop(), vault.emulator.stop(), s3.close()]);
    },
  };
}

/** Resident memory of a process now, in bytes (Linux /proc/<pid>/status). */
export function residentBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}
