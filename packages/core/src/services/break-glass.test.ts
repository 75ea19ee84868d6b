import { describe, expect, it } from "vitest";
import { fakeBroker, givenLease, givenTask, identity } from "../testing/index.js";
import { closeBreakGlass, type OpenBreakGlass, openBreakGlass } from "./break-glass.js";

const SECURITY = identity("spiffe://example.org/sec", "security");

async function setup() {
  const broker = fakeBroker({ config: { maxBreakGlassSeconds: 600 } });
  const task = await givenTask(broker, { id: "tk_1", deadline: broker.clock.now() + 300_000 });
  const input: OpenBreakGlass = {
    taskId: task.id,
    justification: "incident 42",
    ttlSeconds: 600,
    ceiling: [{ action: "read", resource: "secrets/*" }],
  };
  return { broker, task, input };
}

describe("openBreakGlass", () => {
  it("opens a grant that ends no later than the task, audited, naming the grant it replaces", async () => {
    const { broker, task, input } = await setup();
    const first = await openBreakGlass(broker, SECURITY, input);
    expect(first.expiresAt).toBe(task.deadline);
    const second = await openBreakGlass(broker, SECURITY, { ...input, ttlSeconds: 60 });
    expect(broker.audit.last("break_glass.opened")?.detail).toMatchObject({ replaces: first.id });
    expect(second.id).toMatch(/^bg_/);
  });

  it("refuses a grant longer than the maximum, or on an unknown or ended task", async () => {
    const { broker, input } = await setup();
    await expect(openBreakGlass(broker, SECURITY, { ...input, ttlSeconds: 601 })).rejects.toMatchObject({
      code: "invalid_request",
    });
    await expect(openBreakGlass(broker, SECURITY, { ...input, taskId: "tk_x" })).rejects.toMatchObject({
      code: "not_found",
    });
    await givenTask(broker, { id: "tk_done", state: "completed" });
    await expect(openBreakGlass(broker, SECURITY, { ...input, taskId: "tk_done" })).rejects.toMatchObject({
      code: "task_not_active",
    });
  });
});

describe("closeBreakGlass", () => {
  it("revokes only the live leases issued under the grant, once, and is idempotent", async () => {
    const { broker, input } = await setup();
    const grant = await openBreakGlass(broker, SECURITY, input);
    const under = await givenLease(broker, { breakGlass: true, breakGlassId: grant.id });
    const plain = await givenLease(broker);
    const closed = await closeBreakGlass(broker, SECURITY, grant.id);
    expect(closed).toMatchObject({ state: "closed", revoking: 1 });
    expect(broker.leases.leases.get(under.id)).toMatchObject({
      state: "revoking",
      revokeReason: "break_glass_ended",
    });
    expect(broker.leases.leases.get(plain.id)?.state).toBe("active");
    expect(broker.queue.orders).toEqual([{ leaseId: under.id, reason: "break_glass_ended" }]);
    await closeBreakGlass(broker, SECURITY, grant.id);
    expect(broker.audit.types().filter((t) => t === "break_glass.closed")).toHaveLength(1);
  });

  it("reports an expired grant as expired and revokes nothing", async () => {
    const { broker, input } = await setup();
    const grant = await openBreakGlass(broker, SECURITY, { ...input, ttlSeconds: 60 });
    await givenLease(broker, { breakGlass: true, breakGlassId: grant.id });
    broker.clock.advance(60_000);
    expect(await closeBreakGlass(broker, SECURITY, grant.id)).toMatchObject({
      state: "expired",
      revoking: 0,
    });
    expect(broker.queue.orders).toEqual([]);
    await expect(closeBreakGlass(broker, SECURITY, "bg_x")).rejects.toMatchObject({ code: "not_found" });
  });
});
