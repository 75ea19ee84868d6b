import { readFileSync } from "node:fs";
import type { Clock, LeashError } from "@leash/core";
import type { VaultAuthConfig } from "./config.js";
import { createVaultHttp, type VaultHttp } from "./http.js";
import { type Env, VaultSession } from "./session.js";

export interface VaultConnectionConfig {
  address: string;
  namespace?: string | undefined;
  ca_file?: string | undefined;
  auth: VaultAuthConfig;
  request_timeout_ms: number;
}

export interface VaultConnectionDeps {
  env?: Env;
  clock: Clock;
  readFile?: (path: string) => Buffer;
  onRenewalError?: (error: LeashError) => void;
}

/** The HTTP client and Leash's own renewing session on one Vault: what the provider and the KV reader share. */
export function connectVault(
  config: VaultConnectionConfig,
  deps: VaultConnectionDeps,
): { http: VaultHttp; session: VaultSession } {
  const readFile = deps.readFile ?? ((path: string) => readFileSync(path));
  const http = createVaultHttp({
    address: config.address,
    namespace: config.namespace,
    ca: config.ca_file ? readFile(config.ca_file) : undefined,
    timeoutMs: config.request_timeout_ms,
  });
  const session = new VaultSession({
    http,
    auth: config.auth,
    env: deps.env ?? process.env,
    clock: deps.clock,
    timeoutMs: config.request_timeout_ms,
    ...(deps.onRenewalError ? { onRenewalError: deps.onRenewalError } : {}),
  });
  return { http, session };
}
