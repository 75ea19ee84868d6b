import { GetRoleCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Creds, type Fixture, failure, ROLE, startFixture } from "./test-fixture.js";

let f: Fixture;
const root = () => f.root();
const sts = (c: Creds) => f.sts(c);
const iam = (c: Creds) => f.iam(c);
const s3 = (c: Creds) => f.s3(c);
const getDoc = (c: Creds, key = "docs/a.md") =>
  s3(c).send(new GetObjectCommand({ Bucket: "docs", Key: key }));

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  await f?.emu.stop();
});

describe("S3 data plane authorised as IAM does (IAM User Guide, policy evaluation logic)", () => {
  it("intersects the role's policies with the session policy", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::docs/docs/*" },
        {
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::docs",
          Condition: { StringLike: { "s3:prefix": "docs/*" } },
        },
      ],
    });
    const c = await f.assume({ Policy: policy });
    const got = await getDoc(c);
    expect(await got.Body?.transformToString()).toBe("# A");
    expect((await failure(getDoc(c, "other/b.md"))).name).toBe("AccessDenied");
    const put = s3(c).send(new PutObjectCommand({ Bucket: "docs", Key: "docs/new.md", Body: "x" }));
    expect(await failure(put)).toMatchObject({ name: "AccessDenied", status: 403 });
    const listed = await s3(c).send(new ListObjectsV2Command({ Bucket: "docs", Prefix: "docs/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["docs/a.md"]);
    expect((await failure(s3(c).send(new ListObjectsV2Command({ Bucket: "docs" })))).name).toBe(
      "AccessDenied",
    );
  });

  it("stores what PutObject sends, with the role's permission and no session policy", async () => {
    const c = await f.assume();
    await s3(c).send(new PutObjectCommand({ Bucket: "docs", Key: "docs/new file+1.md", Body: "hello" }));
    expect(f.emu.object("docs", "docs/new file+1.md")?.toString()).toBe("hello");
    expect((await failure(getDoc(c, "docs/missing.md"))).name).toBe("NoSuchKey");
  });
});

describe("fault injection (STS throttling: 400 Throttling / Rate exceeded)", () => {
  it("fails the next requests of one service with the real error shapes", async () => {
    f.emu.faults.failNext(1, "Throttling", "sts");
    const throttled = await failure(sts(root()).send(new GetCallerIdentityCommand({})));
    expect(throttled).toMatchObject({ name: "Throttling", message: "Rate exceeded", status: 400 });
    await expect(sts(root()).send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
    const res = await fetch(`${f.emu.url}/__admin/faults`, {
      method: "POST",
      body: JSON.stringify({ fail_next: 1, code: "ServiceUnavailable", service: "iam" }),
    });
    expect(res.status).toBe(204);
    await expect(sts(root()).send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
    const down = await failure(iam(root()).send(new GetRoleCommand({ RoleName: ROLE })));
    expect(down).toMatchObject({ name: "ServiceUnavailable", status: 503 });
    f.emu.faults.unavailableFor(60_000, "sts");
    expect((await failure(sts(root()).send(new GetCallerIdentityCommand({})))).status).toBe(503);
    expect((await fetch(`${f.emu.url}/__admin/faults`, { method: "DELETE" })).status).toBe(204);
    await expect(sts(root()).send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
  });
});

describe("trust and role chaining (IAM User Guide: role trust policies, session tags, role chaining)", () => {
  it("requires the trust policy to allow sts:TagSession when tags are passed", async () => {
    const res = await fetch(`${f.emu.url}/__admin/roles`, {
      method: "POST",
      body: JSON.stringify({
        name: "no-tags",
        trust: {
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${f.emu.accountId}:root` },
              Action: "sts:AssumeRole",
            },
          ],
        },
      }),
    });
    expect(res.status).toBe(200);
    const roleArn = `arn:aws:iam::${f.emu.accountId}:role/no-tags`;
    await expect(f.assume({ RoleArn: roleArn })).resolves.toBeDefined();
    const tagged = await failure(f.assume({ RoleArn: roleArn, Tags: [{ Key: "k", Value: "v" }] }));
    expect(tagged.name).toBe("AccessDenied");
    expect(tagged.message).toContain("is not authorized to perform: sts:TagSession");
  });

  it("lets a session do only what its role allows, and caps chained sessions at one hour", async () => {
    const c = await f.assume();
    const denied = await failure(iam(c).send(new GetRoleCommand({ RoleName: ROLE })));
    expect(denied).toMatchObject({ name: "AccessDenied", status: 403 });
    const refused = await failure(
      sts(c).send(new AssumeRoleCommand({ RoleArn: f.roleArn, RoleSessionName: "again" })),
    );
    expect(refused.name).toBe("AccessDenied");

    f.emu.putRole({
      name: "chainer",
      policies: {
        chain: { Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: f.roleArn }] },
      },
    });
    const first = await f.assume({ RoleArn: `arn:aws:iam::${f.emu.accountId}:role/chainer` });
    const long = await failure(
      sts(first).send(
        new AssumeRoleCommand({ RoleArn: f.roleArn, RoleSessionName: "chained", DurationSeconds: 7200 }),
      ),
    );
    expect(long.message).toBe(
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    const ok = await sts(first).send(
      new AssumeRoleCommand({ RoleArn: f.roleArn, RoleSessionName: "chained", DurationSeconds: 3600 }),
    );
    expect(ok.AssumedRoleUser?.AssumedRoleId).toBe(`${f.emu.role(ROLE)?.id}:chained`);
  });
});

describe("admin endpoint (development only, unsigned)", () => {
  it("adds buckets and roles and lists sessions without their secrets", async () => {
    const bucket = await fetch(`${f.emu.url}/__admin/buckets`, {
      method: "POST",
      body: JSON.stringify({ name: "reports", objects: { "q1.csv": "a,b" } }),
    });
    expect(bucket.status).toBe(204);
    expect(f.emu.object("reports", "q1.csv")?.toString()).toBe("a,b");
    const c = await f.assume({ RoleSessionName: "listed" });
    const sessions = (await (await fetch(`${f.emu.url}/__admin/sessions`)).json()) as Record<
      string,
      unknown
    >[];
    const mine = sessions.find((s) => s.sessionName === "listed");
    expect(mine?.accessKeyId).toBe(c.accessKeyId);
    expect(JSON.stringify(sessions)).not.toContain(c.secretAccessKey);
    expect(JSON.stringify(sessions)).not.toContain(c.sessionToken);
    const role = (await (await fetch(`${f.emu.url}/__admin/roles/${ROLE}`)).json()) as { id: string };
    expect(role.id).toBe(f.emu.role(ROLE)?.id);
    expect((await fetch(`${f.emu.url}/__admin/health`)).status).toBe(200);
    const bad = await fetch(`${f.emu.url}/__admin/faults`, {
      method: "POST",
      body: JSON.stringify({ fail_next: 0 }),
    });
    expect(bad.status).toBe(400);
  });
});
