import { startVaultEmulator, type VaultEmulator } from "./vault/index.js";

/** The environment variable through which the dev stack hands Leash its Vault token (never written to a file). */
export const DEV_VAULT_TOKEN_ENV = "LEASH_VAULT_TOKEN";

export interface DevVault {
  emulator: VaultEmulator;
  /** The `providers.vault` section of LEASH_CONFIG. */
  providerConfig: Record<string, unknown>;
  /** Environment the API and worker need (the token). */
  env: Record<string, string>;
}

/** A Vault emulator with one token target and one dynamic-secret target, as `pnpm dev` and the tests use it. */
export async function startDevVault(port?: number): Promise<DevVault> {
  const emulator = await startVaultEmulator({
    port,
    policies: { "kv-read": [{ path: "secret/data/*", capabilities: ["read"] }] },
    databaseRoles: { readonly: { default_ttl: 3600 } },
  });
  return {
    emulator,
    env: { [DEV_VAULT_TOKEN_ENV]: emulator.rootToken },
    providerConfig: {
      address: emulator.url,
      auth: { method: "token", token_env: DEV_VAULT_TOKEN_ENV },
      targets: {
        "kv-reader": { kind: "token", policies: ["kv-read"], max_ttl_seconds: 3600, actions: ["read"] },
        "db-readonly": {
          kind: "dynamic",
          mount: "database",
          role: "readonly",
          max_ttl_seconds: 3600,
          actions: ["read"],
        },
      },
    },
  };
}
