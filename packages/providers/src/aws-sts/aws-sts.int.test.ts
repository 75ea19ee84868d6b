import { IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, type Fixture, READ_DOCS, ROLES, signal, startFixture } from "./test-fixture.js";

let f: Fixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  f?.provider.close();
  await f?.emu.stop();
});

describe("aws-sts mint: scoped STS credentials (DESIGN: providers, property 5 least privilege)", () => {
  it("issues keys that read under the intent's prefix and nothing else, tagged with the lease", async () => {
    const req = f.request("docs", READ_DOCS);
    const minted = await f.provider.mint(req, signal());
    expect(await f.read(minted)).toBe("ok:# A");
    expect(await f.read(minted, "secret/x.md")).toBe("AccessDenied");
    const put = f.s3(minted).send(new PutObjectCommand({ Bucket: BUCKET, Key: "docs/b.md", Body: "b" }));
    await expect(put).rejects.toMatchObject({ name: "AccessDenied" });

    // STS's shortest session is 900 s, whatever the lease's TTL.
    expect(minted.providerExpiresAt - f.now()).toBeGreaterThan(890_000);
    expect(minted.providerExpiresAt - f.now()).toBeLessThanOrEqual(900_000);
    expect(minted.scope).toContain(`s3:GetObject arn:aws:s3:::${BUCKET}/docs/*`);
    // Property 6: the stored handle has identifiers only.
    const c = minted.credential as Record<string, string>;
    const stored = JSON.stringify(minted.handle);
    expect(stored).not.toContain(c.secret_access_key);
    expect(stored).not.toContain(c.session_token);
    const session = f.emu.sessions().find((s) => s.sessionName === req.leaseId);
    expect(session?.tags).toEqual({
      "leash:lease": req.leaseId,
      "leash:task": "tk_1",
      "leash:agent": req.agent,
    });
    expect(session?.sourceIdentity).toBe("spiffe___example.org_agent_a");
  });

  it("retries AssumeRole when STS throttles, and gives up as provider_unavailable (retry) after its attempts", async () => {
    f.emu.faults.failNext(2, "Throttling", "sts");
    const minted = await f.provider.mint(f.request("docs", READ_DOCS), signal());
    expect(await f.read(minted)).toBe("ok:# A");
    f.emu.faults.failNext(3, "Throttling", "sts");
    await expect(f.provider.mint(f.request("docs", READ_DOCS), signal())).rejects.toMatchObject({
      code: "provider_unavailable",
      retry: true,
    });
    f.emu.faults.clear();
  });

  it("refuses unknown targets, unmapped actions and oversized policies, leaving nothing at the emulator", async () => {
    const before = f.emu.sessions().length;
    expect(() => f.provider.validate("nope", READ_DOCS)).toThrow(
      expect.objectContaining({ code: "unknown_target" }),
    );
    await expect(f.provider.mint(f.request("nope", READ_DOCS), signal())).rejects.toMatchObject({
      code: "unknown_target",
    });
    expect(() => f.provider.validate("docs", { action: "delete", resource: "docs/a.md" })).toThrow(
      expect.objectContaining({ code: "provider_access_denied" }),
    );
    const huge = { action: "read", resource: `docs/${"x".repeat(2100)}` };
    expect(() => f.provider.validate("docs", huge)).toThrow(
      expect.objectContaining({ code: "provider_rejected" }),
    );
    // Under the 2,048 plaintext limit, but over STS's packed budget once the session tags are added.
    const packed = f.request("docs", { action: "write", resource: `docs/${"x".repeat(1930)}` });
    await expect(f.provider.mint(packed, signal())).rejects.toMatchObject({
      code: "provider_rejected",
      retry: false,
    });
    expect(f.emu.sessions()).toHaveLength(before);
  });
});

describe("aws-sts revoke: inline deny per session (DESIGN property 1: no credential outlives its lease)", () => {
  it("denies exactly the revoked session, idempotently", async () => {
    const reqA = f.request("docs", READ_DOCS);
    const a = await f.provider.mint(reqA, signal());
    const b = await f.provider.mint(f.request("docs", READ_DOCS), signal());
    expect(await f.provider.revoke(f.revokeRequest(reqA, a), signal())).toEqual({});
    expect(await f.read(a)).toBe("AccessDenied");
    expect(await f.read(b)).toBe("ok:# A");
    expect(await f.provider.revoke(f.revokeRequest(reqA, a), signal())).toEqual({});
    const entries = f.entriesOf(ROLES[0], reqA.leaseId);
    expect(entries).toHaveLength(1);
  });

  it("throws provider_unavailable with retry while IAM is down, and revokes once it is back", async () => {
    const req = f.request("docs", READ_DOCS);
    const minted = await f.provider.mint(req, signal());
    f.emu.faults.unavailableFor(60_000, "iam");
    await expect(f.provider.revoke(f.revokeRequest(req, minted), signal())).rejects.toMatchObject({
      code: "provider_unavailable",
      retry: true,
    });
    expect(await f.read(minted)).toBe("ok:# A");
    f.emu.faults.clear();
    await f.provider.revoke(f.revokeRequest(req, minted), signal());
    expect(await f.read(minted)).toBe("AccessDenied");
  });
});

describe("aws-sts budget fallback: a cut when the role's 10,240 characters are full", () => {
  it("cuts the older sessions of the role, reports the cut, and later sessions work", async () => {
    const t0 = f.now();
    const warm = f.request("reports", READ_DOCS);
    await f.provider.revoke(f.revokeRequest(warm, await f.provider.mint(warm, signal())), signal());
    const reqA = f.request("reports", READ_DOCS);
    const a = await f.provider.mint(reqA, signal());
    const b = await f.provider.mint(f.request("reports", READ_DOCS), signal());
    // Someone else's inline policy takes all but 50 characters of the role's quota.
    const free = 10_240 - (f.emu.role(ROLES[1])?.inlineChars ?? 0) - 50;
    const filler = JSON.stringify({
      Statement: [{ Effect: "Deny", Action: "s3:x", Resource: "arn:aws:s3:::" }],
    });
    const doc = filler.replace("arn:aws:s3:::", `arn:aws:s3:::${"f".repeat(free - filler.length)}`);
    const iam = new IAMClient({
      region: "us-east-1",
      endpoint: f.emu.url,
      credentials: { accessKeyId: f.emu.rootAccessKeyId, secretAccessKey: f.emu.rootSecretAccessKey },
    });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: ROLES[1], PolicyName: "other-team", PolicyDocument: doc }),
    );

    f.shiftClock(10 * 60_000); // the sessions are 10 minutes old, still valid for 5 more
    try {
      const outcome = await f.provider.revoke(f.revokeRequest(reqA, a, t0), signal());
      expect(outcome.cut?.target).toBe("reports");
      // The caller ends every lease of the target issued before this: b was, and b is dead at AWS.
      expect(outcome.cut?.issuedBefore).toBeGreaterThan(t0);
      expect(outcome.cut?.issuedBefore).toBeLessThan(f.now());
      expect(await f.read(a)).toBe("AccessDenied");
      expect(await f.read(b)).toBe("AccessDenied");
      const later = await f.provider.mint(f.request("reports", READ_DOCS), signal());
      expect(await f.read(later)).toBe("ok:# A");
      // The cut made the entry of the warm-up session redundant.
      expect(Object.keys(f.emu.role(ROLES[1])?.inline ?? {}).some((n) => n.endsWith(warm.leaseId))).toBe(
        false,
      );
    } finally {
      f.shiftClock(-10 * 60_000);
    }
  });
});
