import { describe, expect, it } from "vitest";
import { GatewayRevocationSet } from "./gateway-revocations.js";

const grant = (over: Partial<{ leaseId: string; upstream: string; issuedAt: number }> = {}) => ({
  leaseId: "ls_1",
  upstream: "github",
  issuedAt: 1_000,
  ...over,
});

describe("GatewayRevocationSet", () => {
  it("ends a lease by id, and says whether an entry was news", () => {
    const set = new GatewayRevocationSet();
    expect(set.ended(grant())).toBe(false);
    expect(set.add({ kind: "lease", leaseId: "ls_1", expiresAt: 5_000 })).toBe(true);
    expect(set.add({ kind: "lease", leaseId: "ls_1", expiresAt: 5_000 })).toBe(false);
    expect(set.ended(grant())).toBe(true);
    expect(set.ended(grant({ leaseId: "ls_2" }))).toBe(false);
  });

  it("a cut ends the upstream's leases issued strictly before it, on that upstream only", () => {
    const set = new GatewayRevocationSet();
    expect(set.add({ kind: "cut", upstream: "github", issuedBefore: 2_000, expiresAt: 9_000 })).toBe(true);
    expect(set.ended(grant({ issuedAt: 1_999 }))).toBe(true);
    expect(set.ended(grant({ issuedAt: 2_000 }))).toBe(false);
    expect(set.ended(grant({ issuedAt: 1_000, upstream: "slack" }))).toBe(false);
    // A cut reaching less far and no longer adds nothing; one reaching further does.
    expect(set.add({ kind: "cut", upstream: "github", issuedBefore: 1_500, expiresAt: 8_000 })).toBe(false);
    expect(set.add({ kind: "cut", upstream: "github", issuedBefore: 3_000, expiresAt: 9_000 })).toBe(true);
    expect(set.ended(grant({ issuedAt: 2_500 }))).toBe(true);
  });

  it("forgets entries once past their expiresAt, keeping the others", () => {
    const set = new GatewayRevocationSet();
    set.add({ kind: "lease", leaseId: "ls_1", expiresAt: 5_000 });
    set.add({ kind: "lease", leaseId: "ls_2", expiresAt: 7_000 });
    set.add({ kind: "cut", upstream: "github", issuedBefore: 2_000, expiresAt: 5_000 });
    set.add({ kind: "cut", upstream: "github", issuedBefore: 1_000, expiresAt: 8_000 });
    set.prune(5_000);
    expect(set.size).toBe(4);
    set.prune(5_001);
    expect(set.size).toBe(2);
    expect(set.ended(grant())).toBe(false);
    expect(set.ended(grant({ leaseId: "ls_2" }))).toBe(true);
    expect(set.ended(grant({ leaseId: "ls_9", issuedAt: 999 }))).toBe(true);
    expect(set.ended(grant({ leaseId: "ls_9", issuedAt: 1_500 }))).toBe(false);
    set.prune(8_001);
    expect(set.size).toBe(0);
  });
});
