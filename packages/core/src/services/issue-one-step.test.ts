import { describe, expect, it } from "vitest";
import type { CeilingIntent, Intent } from "../intent.js";
import { FakeProvider, fakeBroker, givenTask, identity } from "../testing/index.js";
import { type IssueRequest, issueLease } from "./issue-lease.js";
import { narrowTask } from "./narrow-task.js";
import { liftSuspension, suspendAgent } from "./suspension.js";
import { endTask } from "./tasks.js";

const ORCH = identity("spiffe://example.org/orchestrator", "orchestrator");
const SECURITY = identity("spiffe://example.org/security/sam", "security");
const PARENT = identity("spiffe://example.org/agent/parent", "agent");
const CHILD = identity("spiffe://example.org/agent/child", "agent");
const DOCS: CeilingIntent[] = [{ action: "read", resource: "docs/*" }];
const A: Intent = { action: "read", resource: "docs/a/x.md" };
const B: Intent = { action: "read", resource: "docs/b/x.md" };

const ask = (taskId: string, intent: Intent): IssueRequest => ({
  taskId,
  provider: "leash-jwt",
  target: undefined,
  intent,
  ttlSeconds: undefined,
});

/** PARENT's root task over docs/*, delegated whole to CHILD; task tokens signed in process. */
async function setup() {
  const broker = fakeBroker({
    provider: new FakeProvider({
      name: "leash-jwt",
      remintable: true,
      revokesInStore: true,
      mintsInProcess: true,
    }),
  });
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

/** Runs `change` once, inside the first store step that writes the lease, before it writes (the worst instant). */
function beforeTheWrite(broker: Awaited<ReturnType<typeof setup>>["broker"], change: () => Promise<unknown>) {
  const create = broker.leases.createActive.bind(broker.leases);
  let done = false;
  broker.leases.createActive = async (...args) => {
    if (!done) {
      done = true;
      await change();
    }
    return create(...args);
  };
}

describe("issuance in one step, for credentials that die in the store", () => {
  it("signs, then records the lease active in one store step: no write-ahead, no activation, audited", async () => {
    const { broker, root } = await setup();
    const issued = await issueLease(broker, PARENT, ask(root.id, A));
    expect(issued).toMatchObject({ kind: "issued", lease: { state: "active" } });
    expect(broker.log.only("leases.")).toEqual(["leases.createActive"]);
    expect(broker.provider.minted).toHaveLength(1);
    const id = issued.kind === "issued" ? issued.lease.id : "";
    expect(broker.leases.leases.get(id)).toMatchObject({ state: "active", scope: expect.any(Array) });
    expect(broker.audit.last("lease.issued")?.leaseId).toBe(id);
  });

  it("refuses, writing nothing, when an ancestor's ceiling is narrowed between the read and the write", async () => {
    const { broker, root, sub } = await setup();
    beforeTheWrite(broker, () =>
      narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]),
    );
    await expect(issueLease(broker, CHILD, ask(sub.id, B))).rejects.toMatchObject({
      code: "ceiling_exceeded",
    });
    expect(broker.leases.leases.size).toBe(0);
    expect(broker.audit.last("lease.denied")?.detail).toMatchObject({
      reasons: ["the task's ceiling was narrowed"],
    });
  });

  it("decides again on the levels as they are now when a narrowing that still covers the intent lands", async () => {
    const { broker, root, sub } = await setup();
    beforeTheWrite(broker, () =>
      narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]),
    );
    await expect(issueLease(broker, CHILD, ask(sub.id, A))).resolves.toMatchObject({ kind: "issued" });
    expect(broker.log.only("leases.createActive")).toHaveLength(2);
  });

  it("refuses, writing nothing, when the caller is suspended between the door and the write", async () => {
    const { broker, root } = await setup();
    beforeTheWrite(broker, () =>
      suspendAgent(broker, SECURITY, { agent: PARENT.subject, reason: "incident" }),
    );
    await expect(issueLease(broker, PARENT, ask(root.id, A))).rejects.toMatchObject({
      code: "agent_suspended",
    });
    expect(broker.leases.leases.size).toBe(0);
  });

  it("refuses, writing nothing, when an identity above is suspended between the read and the write", async () => {
    const { broker, sub } = await setup();
    beforeTheWrite(broker, () =>
      suspendAgent(broker, SECURITY, { agent: PARENT.subject, reason: "incident", includeDelegated: false }),
    );
    await expect(issueLease(broker, CHILD, ask(sub.id, A))).rejects.toMatchObject({
      code: "agent_suspended",
    });
    expect(broker.leases.leases.size).toBe(0);
  });

  it("reads suspensions in its store step only under a task a suspension has reached", async () => {
    const { broker, root } = await setup();
    const seen: string[][] = [];
    const create = broker.leases.createActive.bind(broker.leases);
    broker.leases.createActive = async (lease, standing, ...rest) => {
      seen.push([...standing.agents]);
      return create(lease, standing, ...rest);
    };
    await issueLease(broker, PARENT, ask(root.id, A));
    await suspendAgent(broker, SECURITY, { agent: PARENT.subject, reason: "incident" });
    await liftSuspension(broker, SECURITY, PARENT.subject);
    await issueLease(broker, PARENT, ask(root.id, A));
    expect(seen).toEqual([[], [PARENT.subject]]);
  });

  it("refuses under a task registered after its agent's or an ancestor's suspension, with no door before it", async () => {
    const { broker, root } = await setup();
    await suspendAgent(broker, SECURITY, { agent: PARENT.subject, reason: "incident" });
    // The API's door reads a view that may not have heard of it yet: the store's step must refuse on its own.
    const late = await givenTask(broker, { id: "tk_late", agent: PARENT.subject, ceiling: DOCS });
    const below = await givenTask(broker, {
      id: "tk_late_sub",
      agent: CHILD.subject,
      ceiling: DOCS,
      parentId: root.id,
      depth: 1,
    });
    for (const [who, task] of [
      [PARENT, late],
      [CHILD, below],
    ] as const) {
      await expect(issueLease(broker, who, ask(task.id, A))).rejects.toMatchObject({
        code: "agent_suspended",
      });
    }
    expect(broker.leases.leases.size).toBe(0);
  });

  it("refuses, writing nothing, when the task ends between the read and the write", async () => {
    const { broker, root } = await setup();
    beforeTheWrite(broker, () => endTask(broker, ORCH, root.id, "completed"));
    await expect(issueLease(broker, PARENT, ask(root.id, A))).rejects.toMatchObject({
      code: "task_not_active",
    });
    expect(broker.leases.leases.size).toBe(0);
  });

  it("a narrowing after the write finds the lease live and revokes it", async () => {
    const { broker, root } = await setup();
    const issued = await issueLease(broker, PARENT, ask(root.id, B));
    await narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]);
    const id = issued.kind === "issued" ? issued.lease.id : "";
    expect(broker.leases.leases.get(id)?.state).toBe("revoking");
  });

  it("an Idempotency-Key replays the same lease and credential; another body is a conflict", async () => {
    const { broker, root } = await setup();
    const first = await issueLease(broker, PARENT, ask(root.id, A), "key-1");
    const again = await issueLease(broker, PARENT, ask(root.id, A), "key-1");
    expect(again).toMatchObject({ kind: "issued", replayed: true });
    if (first.kind !== "issued" || again.kind !== "issued") throw new Error("not issued");
    expect(again.lease.id).toBe(first.lease.id);
    expect(again.credential).toEqual(first.credential);
    expect(broker.leases.leases.size).toBe(1);
    await expect(issueLease(broker, PARENT, ask(root.id, B), "key-1")).rejects.toMatchObject({
      code: "idempotency_conflict",
    });
  });
});
