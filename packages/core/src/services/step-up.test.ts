import { describe, expect, it } from "vitest";
import { FakePolicy, fakeBroker, givenTask, identity } from "../testing/index.js";
import { issueLease } from "./issue-lease.js";
import { decideApproval } from "./step-up.js";

const AGENT = identity("spiffe://example.org/agent", "agent");
const SECURITY = identity("spiffe://example.org/sec", "security");

async function pendingApproval() {
  const broker = fakeBroker({ policy: new FakePolicy(() => ({ approvalRequired: true })) });
  const task = await givenTask(broker);
  const asked = await issueLease(broker, AGENT, {
    taskId: task.id,
    provider: "vault",
    target: "reader",
    intent: { action: "read", resource: "docs/a.md" },
    ttlSeconds: undefined,
  });
  if (asked.kind !== "approval") throw new Error("expected an approval");
  return { broker, approval: asked.approval };
}

describe("decideApproval", () => {
  it("records the decision once; a second decision is a conflict", async () => {
    const { broker, approval } = await pendingApproval();
    expect(await decideApproval(broker, SECURITY, approval.id, "denied")).toMatchObject({
      state: "denied",
      decidedBy: SECURITY.subject,
      decidedAt: broker.clock.now(),
    });
    await expect(decideApproval(broker, SECURITY, approval.id, "approved")).rejects.toMatchObject({
      code: "conflict",
    });
    expect(broker.audit.types()).toEqual(["approval.requested", "approval.denied"]);
  });

  it("never lets an identity decide its own request, and reports unknown approvals", async () => {
    const { broker, approval } = await pendingApproval();
    await expect(decideApproval(broker, AGENT, approval.id, "approved")).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(decideApproval(broker, SECURITY, "ap_x", "approved")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("keeps the approval's expiry from the configuration", async () => {
    const { broker, approval } = await pendingApproval();
    expect(approval.expiresAt - approval.createdAt).toBe(broker.config.approvalTtlSeconds * 1000);
  });
});
