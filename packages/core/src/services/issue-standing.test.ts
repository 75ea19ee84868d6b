import { describe, expect, it } from "vitest";
import type { CeilingIntent, Intent } from "../intent.js";
import { fakeBroker, givenTask, identity } from "../testing/index.js";
import { type IssueRequest, issueLease } from "./issue-lease.js";
import { narrowTask } from "./narrow-task.js";
import { suspendAgent } from "./suspension.js";

const ORCH = identity("spiffe://example.org/orchestrator", "orchestrator");
const SECURITY = identity("spiffe://example.org/security/sam", "security");
const PARENT = identity("spiffe://example.org/agent/parent", "agent");
const CHILD = identity("spiffe://example.org/agent/child", "agent");
const DOCS: CeilingIntent[] = [{ action: "read", resource: "docs/*" }];
const A: Intent = { action: "read", resource: "docs/a/x.md" };
const B: Intent = { action: "read", resource: "docs/b/x.md" };

const ask = (taskId: string, intent: Intent): IssueRequest => ({
  taskId,
  provider: "vault",
  target: "reader",
  intent,
  ttlSeconds: undefined,
});

/** PARENT's root task over docs/*, delegated whole to CHILD. */
async function setup() {
  const broker = fakeBroker();
  const root = await givenTask(broker, { id: "tk_root", agent: PARENT.subject, ceiling: DOCS });
  const sub = await givenTask(broker, {
    id: "tk_sub",
    agent: CHILD.subject,
    ceiling: DOCS,
    parentId: root.id,
    depth: 1,
    createdBy: PARENT.subject,
  });
  return { broker, root, sub };
}

describe("issuance against the effective ceiling", () => {
  it("refuses what the task's own ceiling allows but a narrowed ancestor no longer does", async () => {
    const { broker, root, sub } = await setup();
    await narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]);
    await expect(issueLease(broker, CHILD, ask(sub.id, B))).rejects.toMatchObject({
      code: "ceiling_exceeded",
    });
    expect(broker.leases.leases.size).toBe(0);
    await expect(issueLease(broker, CHILD, ask(sub.id, A))).resolves.toMatchObject({ kind: "issued" });
  });

  it("aborts a lease whose task was narrowed between the check and the write-ahead: nothing is minted", async () => {
    const { broker, root } = await setup();
    const create = broker.leases.createPending.bind(broker.leases);
    broker.leases.createPending = async (...args) => {
      await narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]);
      return create(...args);
    };
    await expect(issueLease(broker, PARENT, ask(root.id, B))).rejects.toMatchObject({
      code: "ceiling_exceeded",
    });
    expect(broker.provider.minted).toEqual([]);
    expect([...broker.leases.leases.values()].map((l) => l.state)).toEqual(["aborted"]);
    expect(broker.audit.last("lease.denied")?.detail).toMatchObject({
      reasons: ["the task's ceiling was narrowed"],
    });
  });

  it("revokes at activation a lease the narrowing found pending, whichever read comes first", async () => {
    const { broker, root } = await setup();
    const get = broker.tasks.get.bind(broker.tasks);
    let narrowed = false;
    // The narrowing lands after the write-ahead, but the re-read still sees the old ceiling (it was taken first).
    broker.tasks.get = async (id) => {
      const before = await get(id);
      if (!narrowed && broker.leases.leases.size > 0) {
        narrowed = true;
        await narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]);
      }
      return before;
    };
    await expect(issueLease(broker, PARENT, ask(root.id, B))).rejects.toMatchObject({
      code: "ceiling_exceeded",
    });
    const lease = [...broker.leases.leases.values()][0];
    expect(lease).toMatchObject({ state: "revoking", revokeReason: "ceiling_narrowed" });
  });
});

describe("issuance under a suspension", () => {
  it("issues nothing under a task descending from a suspended identity's task", async () => {
    const { broker, sub } = await setup();
    await suspendAgent(broker, SECURITY, { agent: PARENT.subject, reason: "r" });
    await expect(issueLease(broker, CHILD, ask(sub.id, A))).rejects.toMatchObject({
      code: "agent_suspended",
      status: 403,
    });
    expect(broker.leases.leases.size).toBe(0);
    expect(broker.audit.last("lease.denied")).toBeDefined();
  });

  it("aborts a lease whose caller was suspended between the door and the write-ahead", async () => {
    const { broker, root } = await setup();
    const create = broker.leases.createPending.bind(broker.leases);
    broker.leases.createPending = async (...args) => {
      await suspendAgent(broker, SECURITY, { agent: PARENT.subject, reason: "r" });
      return create(...args);
    };
    await expect(issueLease(broker, PARENT, ask(root.id, A))).rejects.toMatchObject({
      code: "agent_suspended",
    });
    expect(broker.provider.minted).toEqual([]);
    expect([...broker.leases.leases.values()].map((l) => l.state)).toEqual(["aborted"]);
  });

  it("issues again once the suspension has lapsed", async () => {
    const { broker, sub } = await setup();
    await suspendAgent(broker, SECURITY, {
      agent: PARENT.subject,
      reason: "r",
      until: broker.clock.now() + 1000,
    });
    broker.clock.advance(1000);
    await expect(issueLease(broker, CHILD, ask(sub.id, A))).resolves.toMatchObject({ kind: "issued" });
  });
});
