import type { CredentialProvider, MintedCredential, MintRequest, RevokeRequest } from "@leash/core";
import { LeashError } from "@leash/core";
import { describe, expect, it } from "vitest";
import { createLeaseCredentials, type LeaseForMint } from "./lease-credentials.js";

class Clock {
  constructor(public at = Date.UTC(2026, 0, 1)) {}
  now = () => this.at;
}

function fakeProvider(clock: Clock, lifetimeMs = 900_000) {
  const minted: MintRequest[] = [];
  const revoked: RevokeRequest[] = [];
  let failNext: unknown;
  let gate: Promise<void> = Promise.resolve();
  const provider: CredentialProvider = {
    name: "vault",
    maxTtlSeconds: () => undefined,
    validate: () => undefined,
    async mint(request): Promise<MintedCredential> {
      minted.push(request);
      await gate;
      if (failNext !== undefined) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      return {
        credential: { token: `t-${request.leaseId}-${minted.length}` },
        handle: { accessor: `a-${minted.length}` },
        providerExpiresAt: clock.now() + lifetimeMs,
        scope: [],
      };
    },
    async revoke(request) {
      revoked.push(request);
      return {};
    },
    async reclaim() {},
  };
  return {
    provider,
    minted,
    revoked,
    failNextMint(error: unknown) {
      failNext = error;
    },
    hold() {
      let release = () => {};
      gate = new Promise((r) => {
        release = r;
      });
      return release;
    },
  };
}

const lease = (clock: Clock, id = "l1"): LeaseForMint => ({
  leaseId: id,
  taskId: "t1",
  agent: "spiffe://a/agent",
  action: "read",
  resource: "docs/",
  issuedAt: clock.now(),
  expiresAt: clock.now() + 300_000,
});
const never = new AbortController().signal;

/** A clock, a fake provider whose credentials live `lifetimeMs`, and the lease credentials over them. */
function setup(
  options: { target?: string; revokeOnEnd?: boolean; renewMarginMs?: number; lifetimeMs?: number } = {},
) {
  const { target = "x", revokeOnEnd = true, lifetimeMs, renewMarginMs } = options;
  const clock = new Clock();
  const fake = fakeProvider(clock, lifetimeMs);
  const creds = createLeaseCredentials(fake.provider, {
    target,
    revokeOnEnd,
    timeoutMs: 1000,
    clock,
    ...(renewMarginMs === undefined ? {} : { renewMarginMs }),
  });
  return { clock, fake, creds };
}

describe("credentials minted per lease", () => {
  it("mints once for the lease's own intent and TTL, however many requests ask at once", async () => {
    const { clock, fake, creds } = setup({ target: "kv-read" });
    const release = fake.hold();
    const all = Promise.all(Array.from({ length: 5 }, () => creds.get(lease(clock), never)));
    release();
    const got = await all;
    expect(new Set(got.map((c) => c.token))).toEqual(new Set(["t-l1-1"]));
    expect(fake.minted).toHaveLength(1);
    expect(fake.minted[0]).toMatchObject({
      leaseId: "l1",
      target: "kv-read",
      intent: { action: "read", resource: "docs/" },
      ttlSeconds: 300,
      actorChain: [],
      scopeHints: [],
    });
  });

  it("mints again once the credential is within the margin of its end, and revokes the old one", async () => {
    const { clock, fake, creds } = setup({ renewMarginMs: 30_000, lifetimeMs: 100_000 });
    const l = lease(clock);
    await creds.get(l, never);
    clock.at += 69_000;
    expect((await creds.get(l, never)).token).toBe("t-l1-1");
    clock.at += 1_000;
    expect((await creds.get(l, never)).token).toBe("t-l1-2");
    await Promise.resolve();
    expect(fake.revoked.map((r) => r.handle)).toEqual([{ accessor: "a-1" }]);
  });

  it("keeps no failed mint: the next request tries again", async () => {
    const { clock, fake, creds } = setup({ revokeOnEnd: false });
    fake.failNextMint(new LeashError("provider_unavailable", "down"));
    await expect(creds.get(lease(clock), never)).rejects.toMatchObject({ code: "provider_unavailable" });
    expect((await creds.get(lease(clock), never)).token).toBe("t-l1-2");
  });

  it("revokes at the provider when the lease ends only when told to (Vault yes, STS no)", async () => {
    for (const revokeOnEnd of [true, false]) {
      const { clock, fake, creds } = setup({ revokeOnEnd });
      await creds.get(lease(clock), never);
      await creds.end("l1");
      expect(creds.size()).toBe(0);
      expect(fake.revoked).toHaveLength(revokeOnEnd ? 1 : 0);
      if (revokeOnEnd)
        expect(fake.revoked[0]).toMatchObject({ leaseId: "l1", target: "x", handle: { accessor: "a-1" } });
    }
  });

  it("sweeps the credentials of expired leases and keeps the others", async () => {
    const { clock, fake, creds } = setup();
    await creds.get(lease(clock, "a"), never);
    clock.at += 100_000;
    await creds.get(lease(clock, "b"), never);
    await creds.sweep(clock.now() + 250_000);
    expect(creds.size()).toBe(1);
    expect(fake.revoked.map((r) => r.leaseId)).toEqual(["a"]);
  });

  it("ends the credentials of leases issued before a whole-upstream cut", async () => {
    const { clock, fake, creds } = setup();
    await creds.get(lease(clock, "old"), never);
    clock.at += 1;
    const cutAt = clock.at;
    await creds.get(lease(clock, "new"), never);
    await creds.endIssuedBefore(cutAt);
    expect(fake.revoked.map((r) => r.leaseId)).toEqual(["old"]);
    expect(creds.size()).toBe(1);
  });

  it("stops waiting when the request's signal aborts, without cancelling the shared mint", async () => {
    const { clock, fake, creds } = setup({ revokeOnEnd: false });
    const release = fake.hold();
    const abort = new AbortController();
    const first = creds.get(lease(clock), abort.signal);
    abort.abort(new Error("client gone"));
    await expect(first).rejects.toThrow("client gone");
    release();
    expect((await creds.get(lease(clock), never)).token).toBe("t-l1-1");
    expect(fake.minted).toHaveLength(1);
  });
});
