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
