import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Creds, type Fixture, failure, ROLE, startFixture } from "./test-fixture.js";

/**
 * What the emulator copies from the real services, driven by the unmodified SDK clients. Each test names its
 * source: the STS Smithy model (aws-sdk-js-v3 codegen/sdk-codegen/aws-models/sts.json), the API references, the
 * IAM User Guide, the SDK's own protocol code, or moto where AWS documents no wording.
 */

let f: Fixture;
let roleArn = "";
const assume: Fixture["assume"] = (input) => f.assume(input);
const root = () => f.root();
const sts = (c: Creds) => f.sts(c);
const iam = (c: Creds) => f.iam(c);
const getDoc = (c: Creds, key = "docs/a.md") =>
  f.s3(c).send(new GetObjectCommand({ Bucket: "docs", Key: key }));

beforeAll(async () => {
  f = await startFixture();
  roleArn = f.roleArn;
});

afterAll(async () => {
  await f?.emu.stop();
});

describe("STS AssumeRole (STS API Reference, AssumeRole; Smithy model constraints)", () => {
  it("issues ASIA keys with a session token and an expiration DurationSeconds ahead", async () => {
    const before = Date.now();
    const out = await sts(root()).send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: "ls_1",
        DurationSeconds: 900,
        SourceIdentity: "agent-a",
      }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    const expires = out.Credentials?.Expiration?.getTime() ?? 0;
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 899_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
    const role = f.emu.role(ROLE);
    expect(out.AssumedRoleUser?.AssumedRoleId).toBe(`${role?.id}:ls_1`);
    expect(role?.id).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${f.emu.accountId}:assumed-role/${ROLE}/ls_1`);
    expect(out.SourceIdentity).toBe("agent-a");
    // The request id comes from the x-amzn-RequestId header (aws-sdk-js-v3 Aws_query deserializers).
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses DurationSeconds below 900 with the model's ValidationError, and above the role's maximum", async () => {
    const low = await failure(assume({ DurationSeconds: 899 }));
    expect(low).toMatchObject({ name: "ValidationError", status: 400 });
    expect(low.message).toBe(
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    const high = await failure(assume({ DurationSeconds: 7201 }));
    expect(high.message).toBe(
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    await expect(assume({ DurationSeconds: 900 })).resolves.toBeDefined();
  });

  it("holds RoleSessionName to 2-64 characters of [\\w+=,.@-]", async () => {
    await expect(assume({ RoleSessionName: "a".repeat(64) })).resolves.toBeDefined();
    const long = await failure(assume({ RoleSessionName: "a".repeat(65) }));
    expect(long.message).toContain(
      "at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64",
    );
    const short = await failure(assume({ RoleSessionName: "a" }));
    expect(short.message).toContain("Member must have length greater than or equal to 2");
    const bad = await failure(assume({ RoleSessionName: "no spaces" }));
    expect(bad.message).toBe(
      "1 validation error detected: Value 'no spaces' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
  });

  it("limits the inline session policy to 2,048 characters and refuses malformed ones", async () => {
    const big = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::docs/${"x".repeat(2000)}` },
      ],
    });
    const tooLong = await failure(assume({ Policy: big }));
    expect(tooLong).toMatchObject({ name: "ValidationError", status: 400 });
    expect(tooLong.message).toContain(
      "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
    );
    const malformed = await failure(assume({ Policy: '{"Statement":' }));
    expect(malformed).toMatchObject({ name: "MalformedPolicyDocumentException", status: 400 });
    const noResource = await failure(
      assume({ Policy: '{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}' }),
    );
    expect(noResource.name).toBe("MalformedPolicyDocumentException");
  });

  it("reports PackedPolicyTooLarge when policy and tags together overflow the packed budget", async () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::docs/${"x".repeat(1900)}` },
      ],
    });
    await expect(assume({ Policy: policy })).resolves.toBeDefined();
    const packed = await failure(assume({ Policy: policy, Tags: [{ Key: "k", Value: "v".repeat(200) }] }));
    expect(packed.name).toBe("PackedPolicyTooLargeException");
    expect(packed.message).toMatch(/^Packed policy consumes \d+% of allotted space$/);
  });

  it("holds session tags to 50, keys to 128 and values to 256 characters of the tag charset", async () => {
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect((await failure(assume({ Tags: tags }))).message).toContain(
      "at 'tags' failed to satisfy constraint",
    );
    const badKey = await failure(assume({ Tags: [{ Key: "no#hash", Value: "v" }] }));
    expect(badKey.message).toContain("at 'tags.1.member.key' failed to satisfy constraint");
    const longValue = await failure(assume({ Tags: [{ Key: "k", Value: "v".repeat(257) }] }));
    expect(longValue.message).toContain("at 'tags.1.member.value'");
    await expect(
      assume({ Tags: [{ Key: "leash:agent", Value: "spiffe://example.org/agent a" }] }),
    ).resolves.toBeDefined();
    const badSource = await failure(assume({ SourceIdentity: "spiffe://x" }));
    expect(badSource.message).toContain("at 'sourceIdentity' failed to satisfy constraint");
  });

  it("treats an unknown role as AccessDenied, saying nothing about its existence", async () => {
    const denied = await failure(assume({ RoleArn: `arn:aws:iam::${f.emu.accountId}:role/nope` }));
    expect(denied).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(denied.message).toContain("is not authorized to perform: sts:AssumeRole on resource");
  });
});

describe("SigV4 checks (PROTOCOLS.md B3/B4; moto core/exceptions.py)", () => {
  it("refuses an unknown access key with InvalidClientTokenId and a wrong secret with SignatureDoesNotMatch", async () => {
    const unknown = await failure(
      sts({ accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x" }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(unknown).toMatchObject({ name: "InvalidClientTokenId", status: 403 });
    const wrong = await failure(
      sts({ ...root(), secretAccessKey: "wrong" }).send(new GetCallerIdentityCommand({})),
    );
    expect(wrong).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
    const s3Wrong = await failure(getDoc({ ...root(), secretAccessKey: "wrong" }));
    expect(s3Wrong).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
  });

  it("requires the session token with temporary keys, and refuses them once expired", async () => {
    const c = await assume({ DurationSeconds: 900 });
    const noToken = await failure(
      sts({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(noToken.name).toBe("InvalidClientTokenId");
    await expect(sts(c).send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
    f.shiftClock(901_000);
    try {
      const expired = await failure(sts(c).send(new GetCallerIdentityCommand({})));
      expect(expired).toMatchObject({
        name: "ExpiredToken",
        message: "The security token included in the request is expired",
      });
      expect(await failure(getDoc(c))).toMatchObject({ name: "ExpiredToken", status: 400 });
    } finally {
      f.shiftClock(0);
    }
  });
});

describe("GetCallerIdentity (STS API Reference: no permissions are required, a Deny does not apply)", () => {
  it("answers for a session that an explicit Deny cuts off everywhere else", async () => {
    const c = await assume({ RoleSessionName: "denied-session" });
    await expect(getDoc(c)).resolves.toBeDefined();
    const deny = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }],
    });
    await iam(root()).send(
      new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "deny-all", PolicyDocument: deny }),
    );
    try {
      expect((await failure(getDoc(c))).name).toBe("AccessDenied");
      const who = await sts(c).send(new GetCallerIdentityCommand({}));
      expect(who.UserId).toBe(`${f.emu.role(ROLE)?.id}:denied-session`);
      expect(who.Arn).toBe(`arn:aws:sts::${f.emu.accountId}:assumed-role/${ROLE}/denied-session`);
    } finally {
      await iam(root()).send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "deny-all" }));
    }
  });
});

describe("IAM inline role policies (IAM API Reference; IAM User Guide, IAM quotas)", () => {
  it("returns GetRolePolicy's document URL-encoded (RFC 3986), and GetRole's RoleId", async () => {
    const doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}';
    const client = iam(root());
    await client.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "p1", PolicyDocument: doc }));
    const got = await client.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "p1" }));
    expect(got.PolicyDocument).toMatch(/^%7B%22Version%22/);
    expect(decodeURIComponent(got.PolicyDocument ?? "")).toBe(doc);
    expect((await client.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames).toEqual(["p1"]);
    expect((await client.send(new GetRoleCommand({ RoleName: ROLE }))).Role?.RoleId).toBe(
      f.emu.role(ROLE)?.id,
    );
    await client.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "p1" }));
    const gone = await failure(client.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "p1" })));
    expect(gone).toMatchObject({ name: "NoSuchEntityException", status: 404 });
    const noRole = await failure(client.send(new GetRoleCommand({ RoleName: "nope" })));
    expect(noRole).toMatchObject({
      name: "NoSuchEntityException",
      message: "The role with name nope cannot be found.",
    });
  });

  it("refuses past 10,240 characters of inline policy per role with 409 LimitExceeded, whitespace not counted", async () => {
    const client = iam(root());
    const filler = (chars: number, spaces = 0) => {
      const skeleton = '{"Statement":[{"Effect":"Deny","Action":"s3:x","Resource":"arn:aws:s3:::"}]}';
      const pad = "a".repeat(chars - skeleton.length);
      return `{"Statement":[{"Effect":"Deny","Action":"s3:x",${" ".repeat(spaces)}"Resource":"arn:aws:s3:::${pad}"}]}`;
    };
    await client.send(
      new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "f1", PolicyDocument: filler(10_000, 5_000) }),
    );
    await client.send(
      new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "f2", PolicyDocument: filler(240) }),
    );
    expect(f.emu.role(ROLE)?.inlineChars).toBe(10_240);
    const over = await failure(
      client.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "f3", PolicyDocument: filler(80) })),
    );
    expect(over).toMatchObject({ name: "LimitExceededException", status: 409 });
    // Replacing a policy under its own name counts only the result.
    await client.send(
      new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "f2", PolicyDocument: filler(240) }),
    );
    for (const name of ["f1", "f2"])
      await client.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: name }));
  });
});
