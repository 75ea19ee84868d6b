import { describe, expect, it } from "vitest";
import type { CeilingIntent } from "../intent.js";
import { SESSION_INTENT } from "../oauth/session.js";
import { fakeBroker, givenLease, givenTask, identity } from "../testing/index.js";
import { effectiveCeilingOf, narrowTask } from "./narrow-task.js";

const ORCH = identity("spiffe://example.org/orchestrator", "orchestrator");
const PARENT_AGENT = identity("spiffe://example.org/agent/parent", "agent");
const CHILD_AGENT = identity("spiffe://example.org/agent/child", "agent");
const OTHER_AGENT = identity("spiffe://example.org/agent/other", "agent");
const SECURITY = identity("spiffe://example.org/security", "security");
const NOBODY = identity("spiffe://example.org/nobody");

const WIDE: CeilingIntent[] = [
  { action: "read", resource: "docs/*" },
  { action: "write", resource: "docs/*" },
];
const READ_ONLY: CeilingIntent[] = [{ action: "read", resource: "docs/*" }];

/** A root task of PARENT_AGENT, a sub-task of CHILD_AGENT under it, and a grandchild under that. */
async function tree() {
  const broker = fakeBroker();
  const root = await givenTask(broker, { id: "tk_root", agent: PARENT_AGENT.subject, ceiling: WIDE });
  const child = await givenTask(broker, {
    id: "tk_child",
    agent: CHILD_AGENT.subject,
    ceiling: WIDE,
    parentId: root.id,
    depth: 1,
    createdBy: PARENT_AGENT.subject,
  });
  const grandchild = await givenTask(broker, {
    id: "tk_grand",
    agent: OTHER_AGENT.subject,
    ceiling: WIDE,
    parentId: child.id,
    depth: 2,
    createdBy: CHILD_AGENT.subject,
  });
  return { broker, root, child, grandchild };
}

const write = { action: "write", resource: "docs/a.md" };
const read = { action: "read", resource: "docs/a.md" };

describe("narrowTask", () => {
  it("leaves a token for /mcp alone: it holds no intent the ceiling could exclude", async () => {
    const { broker, root } = await tree();
    const session = await givenLease(broker, {
      taskId: root.id,
      agent: root.agent,
      provider: "oauth",
      target: "https://leash.example/mcp",
      intent: { ...SESSION_INTENT },
    });
    expect((await narrowTask(broker, ORCH, root.id, READ_ONLY)).revoking).toBe(0);
    expect(broker.leases.leases.get(session.id)?.state).toBe("active");
  });

  it("replaces the ceiling and revokes the live leases of the task and its descendants now outside it", async () => {
    const { broker, root, child, grandchild } = await tree();
    const rootWrite = await givenLease(broker, { taskId: root.id, agent: root.agent, intent: write });
    const rootRead = await givenLease(broker, { taskId: root.id, agent: root.agent, intent: read });
    const grandWrite = await givenLease(broker, {
      taskId: grandchild.id,
      agent: grandchild.agent,
      intent: write,
    });
    const pendingWrite = await givenLease(broker, {
      taskId: child.id,
      agent: child.agent,
      intent: write,
      state: "pending",
    });
    const out = await narrowTask(broker, ORCH, root.id, READ_ONLY);
    expect(out.revoking).toBe(3);
    expect(out.task.ceiling).toEqual(READ_ONLY);
    expect((await broker.tasks.get(root.id))?.ceiling).toEqual(READ_ONLY);
    for (const id of [rootWrite.id, grandWrite.id])
      expect(broker.leases.leases.get(id)).toMatchObject({
        state: "revoking",
        revokeReason: "ceiling_narrowed",
      });
    expect(broker.leases.leases.get(rootRead.id)?.state).toBe("active");
    // A pending lease is revoked by its activation, with the narrowing's cause.
    await broker.leases.activate(pendingWrite.id, { handle: {}, providerExpiresAt: 0, scope: [] });
    expect(broker.leases.leases.get(pendingWrite.id)).toMatchObject({
      state: "revoking",
      revokeReason: "ceiling_narrowed",
    });
    expect(broker.queue.orders.map((o) => o.leaseId).sort()).toEqual([rootWrite.id, grandWrite.id].sort());
    expect(broker.queue.orders.every((o) => o.reason === "ceiling_narrowed")).toBe(true);
    expect(broker.audit.last("task.narrowed")).toMatchObject({
      actor: ORCH.subject,
      taskId: root.id,
      detail: { from: WIDE, to: READ_ONLY, revoking: 3 },
    });
  });

  it("accepts an equal ceiling with nothing to revoke, and is idempotent", async () => {
    const { broker, root } = await tree();
    await givenLease(broker, { taskId: root.id, agent: root.agent, intent: write });
    expect((await narrowTask(broker, ORCH, root.id, WIDE)).revoking).toBe(0);
    expect((await narrowTask(broker, ORCH, root.id, READ_ONLY)).revoking).toBe(1);
    expect((await narrowTask(broker, ORCH, root.id, READ_ONLY)).revoking).toBe(0);
    expect(broker.audit.types().filter((t) => t === "task.narrowed")).toHaveLength(1);
  });

  it("refuses anything not within the current ceiling, a return to an earlier one included", async () => {
    const { broker, root } = await tree();
    await narrowTask(broker, ORCH, root.id, READ_ONLY);
    await expect(narrowTask(broker, ORCH, root.id, WIDE)).rejects.toMatchObject({ code: "ceiling_exceeded" });
    await expect(
      narrowTask(broker, ORCH, root.id, [{ action: "read", resource: "*" }]),
    ).rejects.toMatchObject({ code: "ceiling_exceeded" });
    // Dropping a sensitivity cap widens.
    const capped = await givenTask(broker, {
      id: "tk_capped",
      ceiling: [{ action: "read", resource: "docs/*", sensitivity: "internal" }],
    });
    await expect(narrowTask(broker, ORCH, capped.id, READ_ONLY)).rejects.toMatchObject({
      code: "ceiling_exceeded",
    });
    expect((await broker.tasks.get(root.id))?.ceiling).toEqual(READ_ONLY);
  });

  it("lets the orchestrator narrow any task and a parent task's agent its direct sub-tasks only", async () => {
    const { broker, child, grandchild } = await tree();
    await expect(narrowTask(broker, PARENT_AGENT, child.id, WIDE)).resolves.toMatchObject({ revoking: 0 });
    await expect(narrowTask(broker, CHILD_AGENT, grandchild.id, WIDE)).resolves.toMatchObject({
      revoking: 0,
    });
    await expect(narrowTask(broker, ORCH, grandchild.id, WIDE)).resolves.toMatchObject({ revoking: 0 });
  });

  it("answers another agent 404, as for an unknown task, and any other caller 403", async () => {
    const { broker, root, child, grandchild } = await tree();
    // The grandparent's agent, the task's own agent and an unrelated agent are all "another agent".
    for (const [caller, taskId] of [
      [PARENT_AGENT, grandchild.id],
      [CHILD_AGENT, child.id],
      [OTHER_AGENT, root.id],
      [PARENT_AGENT, root.id],
    ] as const) {
      await expect(narrowTask(broker, caller, taskId, READ_ONLY)).rejects.toMatchObject({
        code: "not_found",
      });
    }
    await expect(narrowTask(broker, ORCH, "tk_unknown", READ_ONLY)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(narrowTask(broker, SECURITY, root.id, READ_ONLY)).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(narrowTask(broker, NOBODY, root.id, READ_ONLY)).rejects.toMatchObject({ code: "forbidden" });
    expect((await broker.tasks.get(root.id))?.ceiling).toEqual(WIDE);
  });

  it("refuses a task that is not active (409), after the caller's rights", async () => {
    const { broker, root } = await tree();
    await broker.tasks.end(root.id, "completed", broker.clock.now(), ORCH.subject);
    await expect(narrowTask(broker, ORCH, root.id, READ_ONLY)).rejects.toMatchObject({
      code: "task_not_active",
    });
    await expect(narrowTask(broker, OTHER_AGENT, root.id, READ_ONLY)).rejects.toMatchObject({
      code: "not_found",
    });
    const late = await givenTask(broker, { id: "tk_late", deadline: broker.clock.now() });
    await expect(narrowTask(broker, ORCH, late.id, READ_ONLY)).rejects.toMatchObject({
      code: "task_not_active",
    });
  });

  it("leaves leases issued under break-glass to their grant", async () => {
    const { broker, root } = await tree();
    const glass = await givenLease(broker, {
      taskId: root.id,
      agent: root.agent,
      intent: { action: "read", resource: "secrets/k" },
      breakGlass: true,
      breakGlassId: "bg_1",
    });
    expect((await narrowTask(broker, ORCH, root.id, READ_ONLY)).revoking).toBe(0);
    expect(broker.leases.leases.get(glass.id)?.state).toBe("active");
  });

  it("judges against the ceiling it read again when another change landed first", async () => {
    const { broker, root } = await tree();
    const narrow = broker.tasks.narrow.bind(broker.tasks);
    let raced = false;
    broker.tasks.narrow = async (input) => {
      if (!raced) {
        raced = true;
        const task = broker.tasks.tasks.get(root.id);
        if (task)
          broker.tasks.tasks.set(root.id, { ...task, ceiling: [{ action: "read", resource: "docs/a/*" }] });
      }
      return narrow(input);
    };
    // Within what it read first, but not within what is there now.
    await expect(narrowTask(broker, ORCH, root.id, READ_ONLY)).rejects.toMatchObject({
      code: "ceiling_exceeded",
    });
    expect((await broker.tasks.get(root.id))?.ceiling).toEqual([{ action: "read", resource: "docs/a/*" }]);
  });
});

describe("effectiveCeilingOf", () => {
  it("is a root task's own ceiling, and a sub-task's intersected with every ancestor's", async () => {
    const { broker, root, child, grandchild } = await tree();
    expect(await effectiveCeilingOf(broker, root)).toEqual(WIDE);
    await narrowTask(broker, ORCH, root.id, READ_ONLY);
    await narrowTask(broker, PARENT_AGENT, child.id, [
      { action: "read", resource: "docs/a/*" },
      ...WIDE.slice(1),
    ]);
    expect(await effectiveCeilingOf(broker, grandchild)).toEqual([{ action: "read", resource: "docs/a/*" }]);
  });
});
