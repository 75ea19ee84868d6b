import { IAMClient } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, type AssumeRoleCommandInput, STSClient } from "@aws-sdk/client-sts";
import { type AwsEmulator, startAwsEmulator } from "./emulator.js";

/** Shared by the emulator's integration tests: one role allowed read/write on `docs/*`, driven by the real SDK. */
export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Failure {
  name: string;
  message: string;
  status: number | undefined;
}

export const ROLE = "docs-reader";

export interface Fixture {
  emu: AwsEmulator;
  roleArn: string;
  /** Moves the emulator's clock (credential issue and expiry), not the SigV4 signing clock. */
  shiftClock(ms: number): void;
  root(): Creds;
  sts(c: Creds): STSClient;
  iam(c: Creds): IAMClient;
  s3(c: Creds): S3Client;
  assume(input?: Partial<AssumeRoleCommandInput>): Promise<Creds>;
}

export async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}

export async function startFixture(): Promise<Fixture> {
  let offsetMs = 0;
  const emu = await startAwsEmulator({
    clock: () => Date.now() + offsetMs,
    roles: [
      {
        name: ROLE,
        maxSessionDuration: 7200,
        policies: {
          "docs-rw": {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::docs/*" },
              { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::docs" },
            ],
          },
        },
      },
    ],
    buckets: [{ name: "docs", objects: { "docs/a.md": "# A", "other/b.md": "# B" } }],
  });
  const roleArn = `arn:aws:iam::${emu.accountId}:role/${ROLE}`;
  const common = (credentials: Creds) => ({
    region: "eu-west-3",
    endpoint: emu.url,
    credentials,
    maxAttempts: 1,
  });
  const root = (): Creds => ({ accessKeyId: emu.rootAccessKeyId, secretAccessKey: emu.rootSecretAccessKey });
  const sts = (c: Creds) => new STSClient(common(c));
  return {
    emu,
    roleArn,
    shiftClock: (ms) => {
      offsetMs = ms;
    },
    root,
    sts,
    iam: (c) => new IAMClient(common(c)),
    s3: (c) => new S3Client({ ...common(c), forcePathStyle: true }),
    async assume(input = {}) {
      const out = await sts(root()).send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "conformance", ...input }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("no credentials");
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    },
  };
}
