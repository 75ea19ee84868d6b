import { describe, expect, it } from "vitest";
import { LeashError } from "../errors.js";
import { taskShard } from "../shards.js";
import { FakeProvider, fakeBroker, givenTask, identity } from "../testing/index.js";
import { endTask, getTask, type RegisterTask, registerTask } from "./tasks.js";

const ORCH = identity("spiffe://example.org/orchestrator", "orchestrator");
const AGENT = identity("spiffe://example.org/agent", "agent");
const SUB = "spiffe://example.org/sub";

function body(overrides: Partial<RegisterTask> = {}): RegisterTask {
  return {
    id: undefined,
    agent: AGENT.subject,
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttlSeconds: 600,
    parentId: undefined,
    labels: {},
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<LeashError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LeashError)) throw new Error(`expected a LeashError, got ${String(error)}`);
  return error;
}

describe("registerTask", () => {
  it("registers a root task for an orchestrator, audited once, and replays the same body", async () => {
    const broker = fakeBroker();
    const first = await registerTask(broker, ORCH, body({ id: "tk_a" }));
    expect(first).toMatchObject({ created: true, task: { id: "tk_a", depth: 0, state: "active" } });
    expect(first.task.deadline).toBe(broker.clock.now() + 600_000);
    const again = await registerTask(broker, ORCH, body({ id: "tk_a" }));
    expect(again.created).toBe(false);
    expect(broker.audit.types()).toEqual(["task.registered"]);
    const other = await failure(registerTask(broker, ORCH, body({ id: "tk_a", ttlSeconds: 60 })));
    expect(other.code).toBe("conflict");
  });

  it("refuses a root task without the orchestrator role, and a TTL over the maximum", async () => {
    const broker = fakeBroker({ config: { maxTaskTtlSeconds: 300 } });
    expect((await failure(registerTask(broker, AGENT, body({ ttlSeconds: 60 })))).code).toBe("forbidden");
    expect((await failure(registerTask(broker, ORCH, body()))).code).toBe("invalid_request");
  });
});

describe("delegation", () => {
  async function parent() {
    const broker = fakeBroker({ config: { maxDelegationDepth: 2 } });
    const { task } = await registerTask(broker, ORCH, body({ id: "tk_p" }));
    return { broker, task };
  }
  const delegate = (overrides: Partial<RegisterTask> = {}) =>
    body({ agent: SUB, parentId: "tk_p", ttlSeconds: 60, ...overrides });

  it("lets the parent's agent delegate a narrower, shorter sub-task one level deeper", async () => {
    const { broker } = await parent();
    const { task } = await registerTask(
      broker,
      AGENT,
      delegate({ ceiling: [{ action: "read", resource: "docs/a*" }] }),
    );
    expect(task).toMatchObject({ parentId: "tk_p", depth: 1, agent: SUB, createdBy: AGENT.subject });
  });

  it("refuses a wider ceiling, a later deadline, and someone else's parent (as missing)", async () => {
    const { broker } = await parent();
    const wider = delegate({ ceiling: [{ action: "read", resource: "*" }] });
    expect((await failure(registerTask(broker, AGENT, wider))).code).toBe("ceiling_exceeded");
    expect((await failure(registerTask(broker, AGENT, delegate({ ttlSeconds: 601 })))).code).toBe(
      "invalid_request",
    );
    const stranger = identity("spiffe://example.org/stranger", "agent");
    const theirs = await failure(registerTask(broker, stranger, delegate()));
    const missing = await failure(registerTask(broker, stranger, delegate({ parentId: "tk_none" })));
    expect([theirs.code, missing.code]).toEqual(["not_found", "not_found"]);
  });

  it("refuses delegation deeper than the configured limit", async () => {
    const { broker } = await parent();
    await registerTask(broker, AGENT, delegate({ id: "tk_1" }));
    const subAgent = identity(SUB, "agent");
    await registerTask(broker, subAgent, delegate({ id: "tk_2", parentId: "tk_1", agent: "spiffe://x/3" }));
    const third = identity("spiffe://x/3", "agent");
    const error = await failure(
      registerTask(broker, third, delegate({ id: "tk_3", parentId: "tk_2", agent: "spiffe://x/4" })),
    );
    expect(error.code).toBe("forbidden");
    expect(error.message).toContain("2 levels");
  });

  it("refuses to delegate from an ended parent", async () => {
    const { broker } = await parent();
    await endTask(broker, ORCH, "tk_p", "completed");
    expect((await failure(registerTask(broker, AGENT, delegate()))).code).toBe("task_not_active");
  });
});

describe("endTask", () => {
  it("ends the task and its sub-tasks, queues the revocation of their live leases, and is idempotent", async () => {
    const broker = fakeBroker();
    const root = await givenTask(broker, { id: "tk_root", createdBy: ORCH.subject });
    await givenTask(broker, { id: "tk_child", parentId: root.id, depth: 1, agent: SUB });
    for (const [id, taskId] of [
      ["ls_a", "tk_root"],
      ["ls_b", "tk_child"],
    ] as const) {
      await broker.leases.createPending({
        id,
        taskId,
        agent: AGENT.subject,
        provider: "vault",
        target: "r",
        intent: { action: "read", resource: "docs/a" },
        scope: [],
        state: "pending",
        issuedAt: broker.clock.now(),
        expiresAt: broker.clock.now() + 60_000,
        revokedAt: null,
        revokeReason: null,
        handle: null,
        providerExpiresAt: null,
        breakGlass: false,
      });
      await broker.leases.activate(id, { handle: {}, providerExpiresAt: 0, scope: [] });
    }
    const ended = await endTask(broker, ORCH, root.id, "cancelled");
    expect(ended).toMatchObject({ task: { state: "cancelled" }, revoking: 2 });
    expect(broker.tasks.tasks.get("tk_child")?.state).toBe("cancelled");
    expect(broker.queue.orders.map((o) => o.leaseId).sort()).toEqual(["ls_a", "ls_b"]);
    await endTask(broker, ORCH, root.id, "cancelled");
    expect(broker.audit.types()).toEqual(["task.cancelled"]);
  });

  it("ends at once, receipts and all, the leases whose provider revokes in the store: no revoke job for them", async () => {
    const broker = fakeBroker({ providers: [new FakeProvider({ name: "leash-jwt", revokesInStore: true })] });
    const root = await givenTask(broker, { id: "tk_root", createdBy: ORCH.subject });
    for (const [id, provider] of [
      ["ls_jwt", "leash-jwt"],
      ["ls_vault", "vault"],
    ] as const) {
      await broker.leases.createPending({
        id,
        taskId: root.id,
        agent: AGENT.subject,
        provider,
        target: provider === "vault" ? "r" : null,
        intent: { action: "read", resource: "docs/a" },
        scope: [],
        state: "pending",
        issuedAt: broker.clock.now(),
        expiresAt: broker.clock.now() + 60_000,
        revokedAt: null,
        revokeReason: null,
        handle: null,
        providerExpiresAt: null,
        breakGlass: false,
      });
      await broker.leases.activate(id, { handle: {}, providerExpiresAt: 0, scope: [] });
    }
    expect(await endTask(broker, ORCH, root.id, "completed")).toMatchObject({ revoking: 2 });
    expect(broker.queue.orders.map((o) => o.leaseId)).toEqual(["ls_vault"]);
    expect(await broker.leases.get("ls_jwt")).toMatchObject({
      state: "revoked",
      revokeReason: "task_completed",
    });
    expect((await broker.leases.get("ls_vault"))?.state).toBe("revoking");
  });

  it("lets only an orchestrator, the security team or the delegator end a task; hides it from strangers", async () => {
    const broker = fakeBroker();
    const task = await givenTask(broker);
    expect((await failure(endTask(broker, AGENT, task.id, "completed"))).code).toBe("forbidden");
    const stranger = identity("spiffe://example.org/stranger", "agent");
    expect((await failure(endTask(broker, stranger, task.id, "completed"))).code).toBe("not_found");
    expect((await failure(getTask(broker, stranger, task.id))).code).toBe("not_found");
    expect((await getTask(broker, AGENT, task.id)).task.id).toBe(task.id);
  });
});

describe("registerTask over several shards", () => {
  const sharded = () => Object.assign(fakeBroker(), { placement: { open: 4 } });

  it("spreads root tasks over the open shards, and keeps every sub-task and lease in its root's", async () => {
    const broker = sharded();
    const shards = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const { task } = await registerTask(broker, ORCH, body());
      shards.add(taskShard(task));
      expect(task.id).toMatch(/^tk_[0-9a-z]{25}(\.[1-3])?$/);
      expect(task.shard).toBeUndefined();
    }
    expect([...shards].sort()).toEqual([0, 1, 2, 3]);
    const root = (await registerTask(broker, ORCH, body({ id: "orchestrator-chosen" }))).task;
    const child = (await registerTask(broker, AGENT, body({ agent: SUB, parentId: root.id }))).task;
    expect(taskShard(child)).toBe(taskShard(root));
    const grandchild = (
      await registerTask(
        broker,
        identity(SUB, "agent"),
        body({ agent: SUB, parentId: child.id, id: "chosen-2" }),
      )
    ).task;
    expect(taskShard(grandchild)).toBe(taskShard(root));
  });

  it("refuses an id of the generated form that names a shard the task cannot go to", async () => {
    const broker = sharded();
    const named = (shard: number) => `tk_${"a".repeat(25)}.${shard}`;
    expect((await registerTask(broker, ORCH, body({ id: named(2) }))).task.id).toBe(named(2));
    expect((await failure(registerTask(broker, ORCH, body({ id: named(7) })))).code).toBe("invalid_request");
    const root = (await registerTask(broker, ORCH, body({ id: named(3) }))).task;
    const wrong = failure(registerTask(broker, AGENT, body({ agent: SUB, parentId: root.id, id: named(1) })));
    expect((await wrong).code).toBe("invalid_request");
  });

  it("names no shard with one: ids are as they were", async () => {
    const broker = fakeBroker();
    for (let i = 0; i < 10; i++)
      expect((await registerTask(broker, ORCH, body())).task.id).toMatch(/^tk_[0-9a-z]{25}$/);
  });
});
