import { type Clock, LeashError, systemClock } from "@leash/core";
import { GatewayVaultConfig, type SecretRef } from "../gateway/config.js";
import { connectVault } from "../vault/connect.js";
import type { Env } from "../vault/session.js";
import { fieldsOf, type KvMounts, locate, parseMounts, readPath } from "./kv-mounts.js";
import { waitUnlessAborted } from "./wait.js";

export interface VaultKvReaderOptions {
  /** How long a value read is used before it is read again (a rotated secret reaches the gateway this late). */
  cacheMs?: number;
  /** While Vault is unreachable, a value this much past its `cacheMs` is still used rather than failing. */
  staleIfErrorMs?: number;
}

export interface VaultKvReaderDeps {
  env?: Env;
  clock?: Clock;
  readFile?: (path: string) => Buffer;
}

export interface VaultKvReader {
  /** Logs in (or checks the token) and reads the mount table; `read` does the same lazily. */
  start(signal?: AbortSignal): Promise<void>;
  /** The string in field `ref.key` of the secret; kept in this process's memory only, never logged. */
  read(ref: SecretRef, signal: AbortSignal): Promise<string>;
  close(): void;
}

interface Cached {
  value: string;
  readAt: number;
}

/** A missing mount is looked up again at most this often (a mount added while the gateway runs is found). */
const MOUNTS_RETRY_MS = 10_000;
const MOUNTS_TTL_MS = 300_000;

/**
 * Reads static secrets from Vault's KV engines, v1 or v2 as `GET /v1/sys/mounts` says (so the token needs `read`
 * on `sys/mounts`), with Leash's own Vault identity. Values are cached per secret field; concurrent reads of one
 * field share one call. Errors name the logical path, never a value.
 */
export function createVaultKvReader(
  /** `gateway.vault`, or `providers.vault` (its targets are ignored). */
  input: unknown,
  options: VaultKvReaderOptions = {},
  deps: VaultKvReaderDeps = {},
): VaultKvReader {
  const config = GatewayVaultConfig.parse(stripTargets(input));
  const clock = deps.clock ?? systemClock;
  const cacheMs = options.cacheMs ?? 60_000;
  const staleIfErrorMs = options.staleIfErrorMs ?? 600_000;
  const { http, session } = connectVault(config, { ...deps, clock });
  const values = new Map<string, Cached>();
  const inflight = new Map<string, Promise<string>>();
  let mounts: { table: KvMounts; readAt: number } | undefined;
  let mountsInflight: Promise<KvMounts> | undefined;

  function loadMounts(signal: AbortSignal): Promise<KvMounts> {
    mountsInflight ??= session
      .call({ method: "GET", path: "sys/mounts" }, signal)
      .then((body) => {
        const table = parseMounts(body);
        mounts = { table, readAt: clock.now() };
        return table;
      })
      .finally(() => {
        mountsInflight = undefined;
      });
    return mountsInflight;
  }

  async function location(logical: string, signal: AbortSignal) {
    const age = mounts ? clock.now() - mounts.readAt : Number.POSITIVE_INFINITY;
    let table = mounts && age < MOUNTS_TTL_MS ? mounts.table : await loadMounts(signal);
    let found = locate(table, logical);
    if (!found && age >= MOUNTS_RETRY_MS && mounts?.table === table) {
      table = await loadMounts(signal);
      found = locate(table, logical);
    }
    if (!found) {
      throw new LeashError("provider_rejected", `vault kv ${logical}: no KV engine is mounted there`, {
        retry: false,
      });
    }
    return found;
  }

  async function fetchValue(ref: SecretRef, signal: AbortSignal): Promise<string> {
    const at = await location(ref.vault_kv, signal);
    const outcome = await session.attempt({ method: "GET", path: readPath(at) }, signal);
    if (!outcome.ok) {
      if (outcome.failure.status === 404) {
        throw new LeashError("provider_rejected", `vault kv ${ref.vault_kv}: no such secret`, {
          retry: false,
        });
      }
      throw outcome.error;
    }
    const fields = fieldsOf(at, outcome.body);
    if (!fields) {
      throw new LeashError("provider_rejected", `vault kv ${ref.vault_kv}: no such secret (or deleted)`, {
        retry: false,
      });
    }
    const value = Object.hasOwn(fields, ref.key) ? fields[ref.key] : undefined;
    if (typeof value !== "string" || value === "") {
      throw new LeashError(
        "provider_rejected",
        `vault kv ${ref.vault_kv}: field ${JSON.stringify(ref.key)} is missing or not a non-empty string`,
        { retry: false },
      );
    }
    return value;
  }

  return {
    async start(signal = AbortSignal.timeout(config.request_timeout_ms * 3)) {
      await session.start(signal);
      await loadMounts(signal);
    },

    async read(ref, signal) {
      const id = `${ref.vault_kv}\u0000${ref.key}`;
      const cached = values.get(id);
      const now = clock.now();
      if (cached && now - cached.readAt < cacheMs) return cached.value;
      let pending = inflight.get(id);
      if (!pending) {
        pending = fetchValue(ref, AbortSignal.timeout(config.request_timeout_ms * 3)).finally(() =>
          inflight.delete(id),
        );
        inflight.set(id, pending);
      }
      try {
        const value = await waitUnlessAborted(pending, signal);
        values.set(id, { value, readAt: clock.now() });
        return value;
      } catch (error) {
        const unavailable = error instanceof LeashError && error.code === "provider_unavailable";
        if (unavailable && cached && now - cached.readAt < cacheMs + staleIfErrorMs) return cached.value;
        throw error;
      }
    },

    close() {
      session.close();
      http.close();
      values.clear();
    },
  };
}

function stripTargets(input: unknown): unknown {
  if (typeof input !== "object" || input === null || !("targets" in input)) return input;
  const { targets: _targets, ...rest } = input;
  return rest;
}
