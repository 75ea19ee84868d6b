import { randomBytes } from "node:crypto";
import { type ApiEmulator, startApiEmulator } from "./api/index.js";
import { type AwsEmulator, startAwsEmulator } from "./aws/index.js";
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

/** Where the gateway's static secrets live in KV: `kv-read` tokens, which agents can lease, never reach them. */
const GATEWAY_SECRETS = "secret/data/gateway/*";

/** A Vault emulator with one token target and one dynamic-secret target, as `pnpm dev` and the tests use it. */
export async function startDevVault(port?: number): Promise<DevVault> {
  const emulator = await startVaultEmulator({
    port,
    policies: {
      "kv-read": [
        { path: "secret/data/*", capabilities: ["read"] },
        { path: GATEWAY_SECRETS, capabilities: ["deny"] },
      ],
    },
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

export interface DevAws {
  emulator: AwsEmulator;
  /** The `providers.aws-sts` section of LEASH_CONFIG. */
  providerConfig: Record<string, unknown>;
  /** Leash's own AWS credentials for the SDK's default chain (the emulator's admin keys; development only). */
  env: Record<string, string>;
}

export const DEV_BUCKET = "leash-docs";

/**
 * An STS/IAM/S3 emulator with one role, `docs-reader`, allowed to read and write the `leash-docs` bucket: the
 * session policy Leash compiles from each intent narrows it, which S3 calls with the leased keys show.
 */
export async function startDevAws(port?: number): Promise<DevAws> {
  const emulator = await startAwsEmulator({
    port,
    roles: [
      {
        name: "docs-reader",
        maxSessionDuration: 3600,
        policies: {
          data: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject"],
                Resource: `arn:aws:s3:::${DEV_BUCKET}/*`,
              },
              { Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${DEV_BUCKET}` },
            ],
          },
        },
      },
    ],
    buckets: [
      {
        name: DEV_BUCKET,
        objects: { "docs/readme.md": "# Leash docs", "docs/a.md": "a", "reports/q3.md": "q3" },
      },
    ],
  });
  return {
    emulator,
    env: {
      AWS_ACCESS_KEY_ID: emulator.rootAccessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.rootSecretAccessKey,
      AWS_REGION: "us-east-1",
    },
    providerConfig: {
      region: "us-east-1",
      endpoint: emulator.url,
      iam_endpoint: emulator.url,
      clock_skew_seconds: 0,
      targets: {
        "docs-reader": {
          role_arn: `arn:aws:iam::${emulator.accountId}:role/docs-reader`,
          max_session_seconds: 3600,
          actions: { read: ["s3:GetObject"], list: ["s3:ListBucket"], write: ["s3:PutObject"] },
          resource_template: `arn:aws:s3:::${DEV_BUCKET}/{resource}`,
        },
      },
    },
  };
}

/**
 * Writes a secret to a KV v2 mount the way any client does (`POST /v1/<mount>/data/<path>` with a token), so the
 * same code would seed a real Vault. `path` is logical, as `vault kv put` takes it: `secret/gateway/demo-api`.
 */
export async function writeKvSecret(
  vault: { url: string; rootToken: string },
  path: string,
  data: Record<string, string>,
): Promise<void> {
  const [mount, ...rest] = path.split("/");
  const res = await fetch(`${vault.url}/v1/${mount}/data/${rest.join("/")}`, {
    method: "POST",
    headers: { "x-vault-token": vault.rootToken, "content-type": "application/json" },
    body: JSON.stringify({ data }),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`writing ${path} to Vault failed: ${res.status}`);
}

/** The Vault KV secret (a `secret` of a gateway upstream's auth) that holds the dev API emulator's key. */
export const DEV_API_SECRET = { vault_kv: "secret/gateway/demo-api", key: "api_key" } as const;

export interface DevApi {
  emulator: ApiEmulator;
}

/**
 * The HTTP API emulator with a fresh key, a repository with one issue, and the key stored in Vault KV v2 at
 * DEV_API_SECRET with the root token: the gateway reads it from there, the agent never sees it.
 */
export async function startDevApi(vault: DevVault, port?: number): Promise<DevApi> {
  const apiKey = `dev-${randomBytes(24).toString("base64url")}`;
  const emulator = await startApiEmulator({
    apiKey,
    port,
    issues: { "leash-dev/demo": [{ title: "Try the gateway", body: "Read me through base_url." }] },
  });
  try {
    await writeKvSecret(vault.emulator, DEV_API_SECRET.vault_kv, { [DEV_API_SECRET.key]: apiKey });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return { emulator };
}

/**
 * The trust file's `gateway` section for the dev stack: the API emulator behind a Bearer key read from Vault KV
 * (`demo-api`), the `leash-docs` bucket signed with SigV4 by sessions of the `docs-reader` role (`leash-docs`),
 * and Vault's own API with tokens of the `kv-reader` target (`vault`). Leash's own Vault identity (providers.vault)
 * reads the secret.
 */
export function devGatewaySection(parts: {
  api: DevApi;
  aws: DevAws;
  vault: DevVault;
}): Record<string, unknown> {
  return {
    upstreams: {
      "demo-api": {
        url: parts.api.emulator.url,
        auth: { type: "header", name: "authorization", format: "Bearer {secret}", secret: DEV_API_SECRET },
      },
      "leash-docs": {
        url: `${parts.aws.emulator.url}/${DEV_BUCKET}`,
        auth: { type: "aws-sigv4", target: "docs-reader", service: "s3", region: "us-east-1" },
      },
      vault: { url: parts.vault.emulator.url, auth: { type: "vault-token", target: "kv-reader" } },
    },
  };
}
