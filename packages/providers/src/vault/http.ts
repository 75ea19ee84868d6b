import { Agent } from "node:http";
import type { LeashError } from "@leash/core";
import vault from "node-vault";
import { abortable } from "./abort.js";
import { describeFailure, toLeashError, type VaultFailure } from "./errors.js";

export interface VaultCall {
  method: "GET" | "POST" | "PUT" | "LIST";
  /** Relative to /v1/, e.g. `auth/token/create-orphan`. Never carries a secret. */
  path: string;
  body?: Readonly<Record<string, unknown>>;
  /** The token to send; absent for logins. */
  token?: string;
}

export type VaultAttempt =
  | { ok: true; body: unknown }
  | { ok: false; failure: VaultFailure; error: LeashError };

export interface VaultHttp {
  /** Resolves with the outcome, failures included, for callers that treat some failures as success. */
  attempt(call: VaultCall, signal: AbortSignal): Promise<VaultAttempt>;
  /** Resolves with the parsed body (undefined for 204) or throws a LeashError. */
  call(call: VaultCall, signal: AbortSignal): Promise<unknown>;
  /** Closes the pooled connections. */
  close(): void;
}

export interface VaultHttpOptions {
  address: string;
  namespace: string | undefined;
  ca: Buffer | undefined;
  timeoutMs: number;
}

/**
 * node-vault, configured so that nothing outside the config changes its behaviour: its debug output (which prints
 * request bodies) is silenced, VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX are ignored, and VAULT_SKIP_VERIFY
 * cannot turn off certificate checks. Every call sends its token explicitly, so node-vault's `tokenSource` side
 * effect (creating a token replaces the client's token) cannot change whose token Leash uses.
 */
export function createVaultHttp(options: VaultHttpOptions): VaultHttp {
  // A pool of its own: connections are not shared with (or broken by) other clients in the process.
  const httpAgent = new Agent({ keepAlive: true, maxSockets: 16 });
  const requestOptions = {
    timeout: options.timeoutMs,
    httpAgent,
    strictSSL: true,
    // Options for the HTTPS agent node-vault builds once per client.
    agentOptions: { keepAlive: true },
    ...(options.ca ? { ca: options.ca } : {}),
  };
  const client = vault({
    endpoint: options.address,
    apiVersion: "v1",
    debug: () => undefined,
    requestOptions,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
  const settable = client as unknown as { token: string; namespace: string | undefined; pathPrefix: string };
  settable.token = "";
  settable.namespace = options.namespace;
  settable.pathPrefix = "";

  async function attempt(call: VaultCall, signal: AbortSignal): Promise<VaultAttempt> {
    try {
      const body: unknown = await abortable(
        client.request({
          ...requestOptions,
          path: `/${call.path}`,
          method: call.method,
          headers: call.token ? { "X-Vault-Token": call.token } : {},
          ...(call.body ? { json: call.body } : {}),
        }),
        signal,
        () => Object.assign(new Error("aborted"), { code: "ABORT_ERR" }),
      );
      return { ok: true, body };
    } catch (error) {
      const failure = describeFailure(error);
      // node-vault rejects every status but 200 and 204; a 2xx is still a success (e.g. 202 for a queued revoke).
      if (failure.status !== undefined && failure.status >= 200 && failure.status < 300) {
        return { ok: true, body: undefined };
      }
      const name = call.method === "LIST" ? `LIST ${call.path}` : call.path;
      return { ok: false, failure, error: toLeashError(name, failure) };
    }
  }

  return {
    attempt,
    async call(call, signal) {
      const outcome = await attempt(call, signal);
      if (!outcome.ok) throw outcome.error;
      return outcome.body;
    },
    close() {
      httpAgent.destroy();
    },
  };
}
