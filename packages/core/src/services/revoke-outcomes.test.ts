import { describe, expect, it } from "vitest";
import { LeashError } from "../errors.js";
import { fakeBroker, givenLease, revokerOf } from "../testing/index.js";
import { revokeLease } from "./revoke.js";

describe("revokeLease outcomes", () => {
  it("leaves alone what is missing, ended, pending or not yet due", async () => {
    const broker = fakeBroker();
    const deps = revokerOf(broker);
    const pending = await givenLease(broker, { state: "pending" });
    const active = await givenLease(broker);
    const aborted = await givenLease(broker, { state: "pending" });
    await broker.leases.abort(aborted.id, "test");
    expect((await revokeLease(deps, "ls_missing")).kind).toBe("missing");
    expect((await revokeLease(deps, pending.id)).kind).toBe("pending");
    expect((await revokeLease(deps, active.id)).kind).toBe("not_due");
    expect((await revokeLease(deps, aborted.id)).kind).toBe("already_ended");
    expect(broker.provider.revoked).toEqual([]);
  });

  it("expires a lease whose credential died with it, without calling the provider", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker);
    broker.clock.advance(61_000);
    const out = await revokeLease(revokerOf(broker), lease.id);
    expect(out).toMatchObject({ kind: "expired", latencyMs: 1_000 });
    expect(broker.leases.leases.get(lease.id)?.state).toBe("expired");
    expect(broker.provider.revoked).toEqual([]);
  });

  it("revokes at the provider a credential that outlives its lease, ordered at the lease's expiry", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker, { providerExpiresAt: broker.clock.now() + 900_000 });
    broker.clock.advance(61_000);
    const out = await revokeLease(revokerOf(broker), lease.id);
    expect(out).toMatchObject({ kind: "revoked", latencyMs: 1_000 });
    expect(broker.log.only("leases.requestRevocation", "provider.revoke", "leases.settle")).toEqual([
      "leases.requestRevocation",
      "provider.revoke",
      "leases.settle",
    ]);
  });

  it("marks a provider failure revoke_failed, audits it once, rethrows, and recovers on a later try", async () => {
    const broker = fakeBroker();
    const deps = revokerOf(broker);
    const lease = await givenLease(broker);
    await broker.leases.requestRevocation([{ leaseId: lease.id, cause: "returned", actor: lease.agent }], 0);
    broker.provider.failNextRevoke = new Error("503");
    const first = await revokeLease(deps, lease.id).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(LeashError);
    expect((first as LeashError).code).toBe("provider_unavailable");
    broker.provider.failNextRevoke = new LeashError("provider_unavailable", "still down");
    await expect(revokeLease(deps, lease.id)).rejects.toThrow("still down");
    expect(broker.audit.types()).toEqual(["lease.revoke_failed"]);
    expect(broker.leases.leases.get(lease.id)?.state).toBe("revoke_failed");
    expect(await revokeLease(deps, lease.id)).toMatchObject({ kind: "revoked", recovered: true });
    expect(broker.leases.leases.get(lease.id)?.state).toBe("revoked");
  });

  it("ends the other live leases a whole-target cut killed, but not pending ones", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker);
    const victim = await givenLease(broker);
    const pending = await givenLease(broker, { state: "pending" });
    const elsewhere = await givenLease(broker, { target: "writer" });
    await broker.leases.requestRevocation([{ leaseId: lease.id, cause: "security", actor: "sec" }], 0);
    broker.provider.revokeOutcome = { cut: { target: "reader", issuedBefore: broker.clock.now() + 1 } };
    expect(await revokeLease(revokerOf(broker), lease.id)).toMatchObject({ kind: "revoked", cutLeases: 1 });
    const state = (id: string) => broker.leases.leases.get(id)?.state;
    expect([state(victim.id), state(pending.id), state(elsewhere.id)]).toEqual([
      "revoked",
      "pending",
      "active",
    ]);
  });

  it("retries later when this process has no such provider", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker, { provider: "aws-sts" });
    await broker.leases.requestRevocation([{ leaseId: lease.id, cause: "security", actor: "sec" }], 0);
    const error = await revokeLease(revokerOf(broker), lease.id).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "internal", retry: true });
  });
});
