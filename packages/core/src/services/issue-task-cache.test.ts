import { describe, expect, it } from "vitest";
import type { CeilingIntent, Intent } from "../intent.js";
import type { PolicyDecider } from "../policy.js";
import { FakeProvider, fakeBroker, givenTask, identity } from "../testing/index.js";
import { cachingTasks, createTaskCache } from "./issue/task-cache.js";
import { type IssueRequest, issueLease } from "./issue-lease.js";
import { narrowTask } from "./narrow-task.js";
import { suspendAgent } from "./suspension.js";
import { endTask } from "./tasks.js";

/**
 * The issuance in one step takes its task records from the process's memory (issue #15: a task's every lease after
 * its first reads nothing), and is never decided or refused on one that is no longer current: the store's step
 * compares state and stamp, and anything but an issuance reads the records again and decides afresh.
 */
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

/** A process's broker: its task cache, and what it does to tasks kept in it; `elsewhere` is another process's. */
async function setup(policy?: PolicyDecider) {
  const broker = fakeBroker({
    provider: new FakeProvider({
      name: "leash-jwt",
      remintable: true,
      revokesInStore: true,
      mintsInProcess: true,
    }),
    ...(policy ? { policy } : {}),
  });
  const elsewhere = { ...broker };
  const taskCache = createTaskCache();
  const here = { ...broker, taskCache, tasks: cachingTasks(broker.tasks, taskCache) };
  const root = await givenTask(broker, { id: "tk_root", agent: PARENT.subject, ceiling: DOCS });
  const sub = await givenTask(broker, {
    id: "tk_sub",
    agent: CHILD.subject,
    ceiling: DOCS,
    parentId: root.id,
    depth: 1,
  });
  const reads = () => broker.log.only("tasks.get").length;
  return { broker, here, elsewhere, root, sub, reads };
}

describe("the task cache of the issuance in one step", () => {
  it("reads a task's levels for its first lease only; none for a task this process registered", async () => {
    const { broker, here, sub, reads } = await setup();
    await issueLease(here, CHILD, ask(sub.id, A));
    expect(reads()).toBe(2);
    for (let i = 0; i < 5; i++) await issueLease(here, CHILD, ask(sub.id, A));
    expect(reads()).toBe(2);
    expect(broker.leases.leases.size).toBe(6);
    const mine = await here.tasks.create({ ...sub, id: "tk_mine", parentId: null, depth: 0, bodyHash: "x" });
    expect(mine.created).toBe(true);
    await issueLease(here, CHILD, ask("tk_mine", A));
    expect(reads()).toBe(2);
  });

  it("someone else's task is read as before, whether or not it is cached, and answered as unknown", async () => {
    const { here, root, reads } = await setup();
    await issueLease(here, PARENT, ask(root.id, A));
    const before = reads();
    await expect(issueLease(here, CHILD, ask(root.id, A))).rejects.toMatchObject({ code: "not_found" });
    expect(reads()).toBe(before + 1);
  });

  it("a narrowing elsewhere: decided again on the records as they are, refused only then", async () => {
    const { broker, here, elsewhere, root, sub } = await setup();
    await issueLease(here, CHILD, ask(sub.id, A));
    await narrowTask(elsewhere, ORCH, root.id, [{ action: "read", resource: "docs/a/*" }]);
    await expect(issueLease(here, CHILD, ask(sub.id, B))).rejects.toMatchObject({ code: "ceiling_exceeded" });
    // One denial, audited on the records as read (not on the cached ones).
    expect(broker.audit.events.filter((e) => e.type === "lease.denied")).toHaveLength(1);
    expect(await issueLease(here, CHILD, ask(sub.id, A))).toMatchObject({ kind: "issued" });
    expect(broker.leases.leases.size).toBe(2);
  });

  it("a suspension elsewhere: refused, nothing written", async () => {
    const { broker, here, elsewhere, root } = await setup();
    await issueLease(here, PARENT, ask(root.id, A));
    await suspendAgent(elsewhere, SECURITY, { agent: PARENT.subject, reason: "incident" });
    await expect(issueLease(here, PARENT, ask(root.id, A))).rejects.toMatchObject({
      code: "agent_suspended",
    });
    expect([...broker.leases.leases.values()].filter((l) => l.state === "active")).toHaveLength(0);
  });

  it("a task ended elsewhere is answered as a read answers it: 409, no credential, no denial audited", async () => {
    const { broker, here, elsewhere, root } = await setup();
    await issueLease(here, PARENT, ask(root.id, A));
    await endTask(elsewhere, ORCH, root.id, "completed");
    await expect(issueLease(here, PARENT, ask(root.id, A))).rejects.toMatchObject({
      code: "task_not_active",
      message: `task ${root.id} is completed`,
    });
    expect(broker.leases.leases.size).toBe(1);
    expect(broker.audit.events.filter((e) => e.type === "lease.denied")).toHaveLength(0);
  });

  it("a full quota refuses on the cached records at once: the store's step found them current", async () => {
    const { broker, here } = await setup();
    const capped = await givenTask(broker, {
      id: "tk_capped",
      agent: PARENT.subject,
      quota: { maxIssued: 1 },
    });
    await issueLease(here, PARENT, ask(capped.id, A));
    const before = broker.log.only("leases.createActive").length;
    await expect(issueLease(here, PARENT, ask(capped.id, A))).rejects.toMatchObject({
      code: "quota_exceeded",
    });
    expect(broker.log.only("leases.createActive").length).toBe(before + 1);
    expect(broker.audit.events.filter((e) => e.type === "lease.denied")).toHaveLength(1);
  });

  it("a person's approval is asked on the task as read", async () => {
    const policy: PolicyDecider = {
      decide: () => ({
        allowed: true,
        reasons: ["step-up"],
        maxTtlSeconds: undefined,
        approvalRequired: true,
        scopeHints: [],
        errors: [],
      }),
    };
    const { here, elsewhere, root } = await setup(policy);
    const cached = createTaskCache();
    cached.set(root);
    await endTask(elsewhere, ORCH, root.id, "completed");
    await expect(issueLease({ ...here, taskCache: cached }, PARENT, ask(root.id, A))).rejects.toMatchObject({
      code: "task_not_active",
    });
  });
});
