import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fixture, READ_DOCS, ROLES, signal, startFixture } from "./test-fixture.js";

let f: Fixture;

beforeAll(async () => {
  f = await startFixture();
});

afterAll(async () => {
  f?.provider.close();
  await f?.emu.stop();
});

describe("aws-sts lease lifecycle: targets, expiry, reclaim, pruning, mass revocation", () => {
  it("accepts the role ARN as target as well as the alias", async () => {
    const minted = await f.provider.mint(
      f.request(f.arn(ROLES[0]), { action: "read", resource: "docs/a.md" }),
      signal(),
    );
    expect(await f.read(minted)).toBe("ok:# A");
  });

  it("does nothing for a credential that has already expired at the provider", async () => {
    const req = f.request("docs", READ_DOCS);
    const minted = await f.provider.mint(req, signal());
    const policies = Object.keys(f.emu.role(ROLES[0])?.inline ?? {}).length;
    const late = { ...f.revokeRequest(req, minted), providerExpiresAt: f.now() - 60_000 };
    expect(await f.provider.revoke(late, signal())).toEqual({});
    expect(Object.keys(f.emu.role(ROLES[0])?.inline ?? {})).toHaveLength(policies);
  });

  it("reclaims a lease whose mint outcome is unknown by its lease id alone", async () => {
    const req = f.request("docs", READ_DOCS);
    const minted = await f.provider.mint(req, signal());
    await f.provider.reclaim(f.revokeRequest(req, null), signal());
    expect(await f.read(minted)).toBe("AccessDenied");
  });

  it("prunes deny entries once their credentials have expired by themselves", async () => {
    const req = f.request("docs", READ_DOCS);
    const minted = await f.provider.mint(req, signal());
    await f.provider.revoke(f.revokeRequest(req, minted), signal());
    const mine = () => f.entriesOf(ROLES[0], req.leaseId);
    expect(mine()).toHaveLength(1);
    await f.provider.prune?.(minted.providerExpiresAt + 60_000, signal());
    expect(mine()).toHaveLength(0);
  });

  it("cuts a whole target on request (mass revocation), sparing sessions issued after it", async () => {
    const old = await f.provider.mint(f.request("cut", READ_DOCS), signal());
    f.shiftClock(60_000);
    try {
      await f.provider.cutTarget?.({ target: "cut", issuedBefore: f.now() - 30_000 }, signal());
      expect(await f.read(old)).toBe("AccessDenied");
      const fresh = await f.provider.mint(f.request("cut", READ_DOCS), signal());
      expect(await f.read(fresh)).toBe("ok:# A");
    } finally {
      f.shiftClock(-60_000);
    }
  });
});
