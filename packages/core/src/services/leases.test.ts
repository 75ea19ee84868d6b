import { describe, expect, it } from "vitest";
import { fakeBroker, givenLease, identity } from "../testing/index.js";
import { getLease, returnLease } from "./leases.js";

const AGENT = identity("spiffe://example.org/agent", "agent");
const SECURITY = identity("spiffe://example.org/sec", "security");

describe("returnLease", () => {
  it("orders the revocation of the owner's lease with cause returned, queued and audited", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker);
    const out = await returnLease(broker, AGENT, lease.id);
    expect(out).toMatchObject({ state: "revoking", revokeReason: "returned" });
    expect(broker.queue.orders).toEqual([{ leaseId: lease.id, reason: "returned" }]);
    expect(broker.audit.last("lease.returned")).toMatchObject({
      cause: "returned",
      orderedAt: broker.clock.now(),
    });
  });

  it("records the security team's order as cause security, and keeps the first order on a repeat", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker);
    await returnLease(broker, SECURITY, lease.id);
    const again = await returnLease(broker, AGENT, lease.id);
    expect(again.revokeReason).toBe("security");
    expect(broker.audit.types()).toEqual(["lease.revocation_ordered", "lease.returned"]);
  });

  it("hides another agent's lease", async () => {
    const broker = fakeBroker();
    const lease = await givenLease(broker);
    const stranger = identity("spiffe://example.org/stranger", "agent");
    await expect(getLease(broker, stranger, lease.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(returnLease(broker, stranger, lease.id)).rejects.toMatchObject({ code: "not_found" });
    expect(broker.queue.orders).toEqual([]);
  });
});
