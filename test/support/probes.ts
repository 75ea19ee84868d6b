import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DEV_BUCKET, type DevAws, type DevVault, waitFor } from "@leash/devstack";
import type { Stack } from "./stack.js";

/** Whether a credential still works where it is used: false once it is dead at its provider. */
export type Probe = () => Promise<boolean>;

/** The intent each provider's dev target serves, as the dev stack configures it. */
export const PROVIDER_INTENTS = {
  "leash-jwt": { provider: "leash-jwt", intent: { action: "read", resource: "docs/a.md" } },
  vault: { provider: "vault", target: "kv-reader", intent: { action: "read", resource: "secret/app" } },
  "aws-sts": {
    provider: "aws-sts",
    target: "docs-reader",
    intent: { action: "read", resource: "docs/readme.md" },
  },
} as const;

export type ProviderKind = keyof typeof PROVIDER_INTENTS;

/** A task ceiling that covers every intent of PROVIDER_INTENTS. */
export const PROVIDER_CEILING = [
  { action: "read", resource: "docs/*" },
  { action: "read", resource: "secret/*" },
];

/**
 * Probes that use a credential the way its holder would: a task token at introspection (with `introspector`'s
 * token), a Vault token at the Vault emulator's lookup-self, STS keys on the AWS emulator's S3.
 */
export function probes(stack: Stack, introspector: string, emulators: { aws: DevAws; vault: DevVault }) {
  return (kind: ProviderKind, credential: Record<string, unknown>): Probe => {
    if (kind === "leash-jwt")
      return async () => {
        const res = await stack.call("POST", "/v1/introspect", introspector, { token: credential.token });
        return ((await res.json()) as { active: boolean }).active;
      };
    if (kind === "vault")
      return async () => {
        const res = await fetch(`${emulators.vault.emulator.url}/v1/auth/token/lookup-self`, {
          headers: { "x-vault-token": String(credential.token) },
        });
        await res.text();
        return res.status === 200;
      };
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: emulators.aws.emulator.url,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: {
        accessKeyId: String(credential.access_key_id),
        secretAccessKey: String(credential.secret_access_key),
        sessionToken: String(credential.session_token),
      },
    });
    return async () => {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: DEV_BUCKET, Key: "docs/readme.md" }));
        await out.Body?.transformToString();
        return true;
      } catch (error) {
        if ((error as { name: string }).name === "AccessDenied") return false;
        throw error;
      }
    };
  };
}

/** Ms from `since` until the credential stops working (polled every 10 ms, for at most 10 s). */
export async function deadAfter(since: number, works: Probe, what: string): Promise<number> {
  await waitFor(async () => ((await works()) ? undefined : true), {
    timeoutMs: 10_000,
    intervalMs: 10,
    what,
  });
  return Date.now() - since;
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? Number.NaN;
}
