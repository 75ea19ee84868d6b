import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Intent, MintedCredential, MintRequest, RevokeRequest } from "@leash/core";
// The devstack package entry does not re-export the AWS emulator; its own index is the public surface.
import { type AwsEmulator, startAwsEmulator } from "@leash/devstack";
import { type AwsStsProvider, createAwsStsProvider } from "./index.js";

/** Shared by the provider's integration tests: the emulator over HTTP, three roles, one bucket. */
export const ROLES = ["docs-reader", "reports-reader", "cut-reader"] as const;
export const BUCKET = "docs-bucket";
export const READ_DOCS: Intent = { action: "read", resource: "docs/" };

export interface Fixture {
  emu: AwsEmulator;
  provider: AwsStsProvider;
  now(): number;
  /** Moves the clock of both the emulator and the provider. */
  shiftClock(ms: number): void;
  arn(role: string): string;
  request(target: string, intent: Intent, ttlSeconds?: number): MintRequest;
  revokeRequest(req: MintRequest, minted: MintedCredential | null, issuedAt?: number): RevokeRequest;
  s3(minted: MintedCredential): S3Client;
  /** What an agent holding these keys sees on GetObject: how revocation is observed from outside. */
  read(minted: MintedCredential, key?: string): Promise<string>;
  /** Names of the role's inline policies that mention this lease. */
  entriesOf(role: string, leaseId: string): string[];
}

export const signal = () => AbortSignal.timeout(10_000);

export async function startFixture(): Promise<Fixture> {
  let offsetMs = 0;
  let seq = 0;
  const now = () => Date.now() + offsetMs;
  const emu = await startAwsEmulator({
    clock: now,
    roles: ROLES.map((name) => ({
      name,
      maxSessionDuration: 3600,
      policies: {
        data: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["s3:GetObject", "s3:PutObject"],
              Resource: `arn:aws:s3:::${BUCKET}/*`,
            },
            { Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${BUCKET}` },
          ],
        },
      },
    })),
    buckets: [{ name: BUCKET, objects: { "docs/a.md": "# A", "secret/x.md": "x" } }],
  });
  const arn = (role: string) => `arn:aws:iam::${emu.accountId}:role/${role}`;
  const target = (role: string) => ({
    role_arn: arn(role),
    max_session_seconds: 3600,
    actions: { read: ["s3:GetObject", "s3:ListBucket"], write: ["s3:PutObject"] },
    resource_template: `arn:aws:s3:::${BUCKET}/{resource}`,
  });
  const provider = createAwsStsProvider(
    {
      region: "eu-west-3",
      endpoint: emu.url,
      iam_endpoint: emu.url,
      targets: { docs: target(ROLES[0]), reports: target(ROLES[1]), cut: target(ROLES[2]) },
    },
    {
      credentials: { accessKeyId: emu.rootAccessKeyId, secretAccessKey: emu.rootSecretAccessKey },
      clock: { now },
      random: () => 0,
    },
  );
  const s3 = (minted: MintedCredential) => {
    const c = minted.credential as Record<string, string>;
    return new S3Client({
      region: "eu-west-3",
      endpoint: emu.url,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: {
        accessKeyId: c.access_key_id ?? "",
        secretAccessKey: c.secret_access_key ?? "",
        sessionToken: c.session_token,
      },
    });
  };
  return {
    emu,
    provider,
    now,
    shiftClock: (ms) => {
      offsetMs += ms;
    },
    arn,
    request(targetName, intent, ttlSeconds = 300) {
      seq += 1;
      return {
        leaseId: `ls_test${String(seq).padStart(4, "0")}${Math.random().toString(36).slice(2, 10)}`,
        taskId: "tk_1",
        agent: "spiffe://example.org/agent/a",
        target: targetName,
        intent,
        ttlSeconds,
        expiresAt: now() + ttlSeconds * 1000,
        actorChain: [],
        scopeHints: [],
      };
    },
    revokeRequest(req, minted, issuedAt = now()) {
      return {
        leaseId: req.leaseId,
        taskId: req.taskId,
        agent: req.agent,
        target: req.target ?? null,
        handle: minted?.handle ?? null,
        issuedAt,
        providerExpiresAt: minted?.providerExpiresAt ?? null,
      };
    },
    s3,
    async read(minted, key = "docs/a.md") {
      try {
        const out = await s3(minted).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        return `ok:${await out.Body?.transformToString()}`;
      } catch (error) {
        return (error as Error).name;
      }
    },
    entriesOf: (role, leaseId) =>
      Object.keys(emu.role(role)?.inline ?? {}).filter((n) => n.endsWith(leaseId)),
  };
}
