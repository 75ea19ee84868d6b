import { describe, expect, it } from "vitest";
import { type Flight, InFlight } from "./inflight.js";

function flight(leaseId: string, upstream = "api", issuedAt = 1_000, expiresAt = 10_000) {
  const cuts: string[] = [];
  const f: Flight = { leaseId, upstream, issuedAt, expiresAt, cut: (reason) => cuts.push(reason) };
  return { f, cuts };
}

describe("responses in flight", () => {
  it("cuts every response of a revoked lease, and only those", () => {
    const registry = new InFlight();
    const a1 = flight("a");
    const a2 = flight("a");
    const b = flight("b");
    for (const x of [a1, a2, b]) registry.add(x.f);
    expect(registry.revoked({ kind: "lease", leaseId: "a", expiresAt: 10_000 })).toBe(2);
    expect([a1.cuts, a2.cuts, b.cuts]).toEqual([["lease_not_live"], ["lease_not_live"], []]);
  });

  it("cuts an upstream's leases issued before the cut, not later ones nor other upstreams'", () => {
    const registry = new InFlight();
    const old = flight("a", "api", 1_000);
    const fresh = flight("b", "api", 5_000);
    const other = flight("c", "s3", 1_000);
    for (const x of [old, fresh, other]) registry.add(x.f);
    expect(registry.revoked({ kind: "cut", upstream: "api", issuedBefore: 5_000, expiresAt: 0 })).toBe(1);
    expect([old.cuts, fresh.cuts, other.cuts]).toEqual([["lease_not_live"], [], []]);
  });

  it("sweeps expired and ended leases as lease_not_live, and everything as unavailable when the view is stale", () => {
    const registry = new InFlight();
    const expired = flight("a", "api", 1_000, 2_000);
    const ended = flight("b");
    const live = flight("c");
    for (const x of [expired, ended, live]) registry.add(x.f);
    registry.sweep(2_000, (f) => (f.leaseId === "b" ? "ended" : "live"));
    expect([expired.cuts, ended.cuts, live.cuts]).toEqual([["lease_not_live"], ["lease_not_live"], []]);
    registry.sweep(2_000, () => "stale");
    expect(live.cuts).toEqual(["gateway_unavailable"]);
  });

  it("forgets a finished response", () => {
    const registry = new InFlight();
    const a = flight("a");
    const done = registry.add(a.f);
    expect(registry.size()).toBe(1);
    done();
    expect(registry.size()).toBe(0);
    expect(registry.revoked({ kind: "lease", leaseId: "a", expiresAt: 0 })).toBe(0);
  });
});
