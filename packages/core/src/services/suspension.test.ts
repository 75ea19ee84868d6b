import { describe, expect, it } from "vitest";
import { fakeBroker, givenLease, givenTask, identity } from "../testing/index.js";
import { ensureNotSuspended, liftLapsedSuspensions, liftSuspension, suspendAgent } from "./suspension.js";

const SECURITY = identity("spiffe://example.org/security/sam", "security");
const AGENT = "spiffe://example.org/agent/a";
const DELEGATE = "spiffe://example.org/agent/d";
const SUB_DELEGATE = "spiffe://example.org/agent/s";
const BYSTANDER = "spiffe://example.org/agent/b";

/** AGENT's task, delegated to DELEGATE, delegated on to SUB_DELEGATE; BYSTANDER has a task of its own. */
async function setup() {
  const broker = fakeBroker();
  const own = await givenTask(broker, { id: "tk_a", agent: AGENT });
  const sub = await givenTask(broker, { id: "tk_d", agent: DELEGATE, parentId: own.id, depth: 1 });
  const subSub = await givenTask(broker, { id: "tk_s", agent: SUB_DELEGATE, parentId: sub.id, depth: 2 });
  const other = await givenTask(broker, { id: "tk_b", agent: BYSTANDER });
  const leases = {
    own: await givenLease(broker, { taskId: own.id, agent: AGENT }),
    sub: await givenLease(broker, { taskId: sub.id, agent: DELEGATE }),
    subSub: await givenLease(broker, { taskId: subSub.id, agent: SUB_DELEGATE }),
    pending: await givenLease(broker, { taskId: own.id, agent: AGENT, state: "pending" }),
    other: await givenLease(broker, { taskId: other.id, agent: BYSTANDER }),
  };
  return { broker, leases };
}

describe("suspendAgent", () => {
  it("records who, why, when and until when, and revokes the agent's and its delegates' live leases", async () => {
    const { broker, leases } = await setup();
    const until = broker.clock.now() + 3_600_000;
    const out = await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "exfiltration", until });
    expect(out).toEqual({ agent: AGENT, suspended: true, revoking: 4 });
    expect(await broker.suspensions.get(AGENT)).toEqual({
      agent: AGENT,
      reason: "exfiltration",
      until,
      by: SECURITY.subject,
      at: broker.clock.now(),
    });
    for (const l of [leases.own, leases.sub, leases.subSub])
      expect(broker.leases.leases.get(l.id)).toMatchObject({
        state: "revoking",
        revokeReason: "agent_suspended",
      });
    expect(broker.leases.leases.get(leases.other.id)?.state).toBe("active");
    expect(broker.queue.orders.map((o) => o.leaseId).sort()).toEqual(
      [leases.own.id, leases.sub.id, leases.subSub.id].sort(),
    );
    expect(broker.queue.orders.every((o) => o.reason === "agent_suspended")).toBe(true);
    expect(broker.audit.last("agent.suspended")).toMatchObject({
      actor: SECURITY.subject,
      agent: AGENT,
      outcome: "warning",
      detail: {
        reason: "exfiltration",
        until: new Date(until).toISOString(),
        include_delegated: true,
        revoking: 4,
      },
    });
  });

  it("with include_delegated false revokes only the agent's own leases", async () => {
    const { broker, leases } = await setup();
    const out = await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "r", includeDelegated: false });
    expect(out.revoking).toBe(2);
    expect(broker.leases.leases.get(leases.sub.id)?.state).toBe("active");
  });

  it("while suspended replaces reason and until and revokes whatever is live", async () => {
    const { broker, leases } = await setup();
    await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "first" });
    // The lease pending at the first suspension was revoked by its activation: only the fresh one is left.
    await broker.leases.activate(leases.pending.id, { handle: {}, providerExpiresAt: 0, scope: [] });
    const fresh = await givenLease(broker, { taskId: "tk_d", agent: DELEGATE });
    const until = broker.clock.now() + 60_000;
    const out = await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "second", until });
    expect(out.revoking).toBe(1);
    expect(broker.leases.leases.get(fresh.id)?.state).toBe("revoking");
    expect(await broker.suspensions.get(AGENT)).toMatchObject({ reason: "second", until });
    expect(broker.audit.last("agent.suspended")?.detail).toMatchObject({ replaces: { reason: "first" } });
  });

  it("needs the security role and an until in the future", async () => {
    const { broker } = await setup();
    const orch = identity("spiffe://example.org/orchestrator", "orchestrator");
    await expect(suspendAgent(broker, orch, { agent: AGENT, reason: "r" })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      suspendAgent(broker, SECURITY, { agent: AGENT, reason: "r", until: broker.clock.now() }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    expect(await broker.suspensions.get(AGENT)).toBeNull();
  });
});

describe("ensureNotSuspended", () => {
  it("refuses any of the agents while suspended, and none once its until has passed", async () => {
    const { broker } = await setup();
    await ensureNotSuspended(broker, [AGENT]);
    await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "r", until: broker.clock.now() + 1000 });
    await expect(ensureNotSuspended(broker, [BYSTANDER, AGENT])).rejects.toMatchObject({
      code: "agent_suspended",
      status: 403,
    });
    await ensureNotSuspended(broker, [BYSTANDER]);
    broker.clock.advance(1000);
    await ensureNotSuspended(broker, [AGENT]);
  });
});

describe("liftSuspension", () => {
  it("lifts, audited, restores nothing, and answers the same when there was no suspension", async () => {
    const { broker, leases } = await setup();
    await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "r" });
    expect(await liftSuspension(broker, SECURITY, AGENT)).toEqual({ agent: AGENT, suspended: false });
    expect(await broker.suspensions.get(AGENT)).toBeNull();
    expect(broker.leases.leases.get(leases.own.id)?.state).toBe("revoking");
    expect(broker.audit.last("agent.unsuspended")).toMatchObject({
      actor: SECURITY.subject,
      agent: AGENT,
      detail: { trigger: "request", reason: "r", suspended_by: SECURITY.subject },
    });
    expect(await liftSuspension(broker, SECURITY, AGENT)).toEqual({ agent: AGENT, suspended: false });
    expect(broker.audit.types().filter((t) => t === "agent.unsuspended")).toHaveLength(1);
  });
});

describe("liftLapsedSuspensions", () => {
  it("lifts at until, by the injected clock, once, audited as Leash's act", async () => {
    const { broker } = await setup();
    const until = broker.clock.now() + 60_000;
    await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "r", until });
    await suspendAgent(broker, SECURITY, { agent: BYSTANDER, reason: "open-ended" });
    broker.clock.advance(59_999);
    expect(await liftLapsedSuspensions(broker)).toBe(0);
    broker.clock.advance(1);
    expect(await liftLapsedSuspensions(broker)).toBe(1);
    expect(await liftLapsedSuspensions(broker)).toBe(0);
    expect(await broker.suspensions.get(AGENT)).toBeNull();
    expect(await broker.suspensions.get(BYSTANDER)).not.toBeNull();
    expect(broker.audit.last("agent.unsuspended")).toMatchObject({
      actor: "leash",
      agent: AGENT,
      detail: { trigger: "until", until: new Date(until).toISOString() },
    });
  });

  it("keeps a suspension renewed after it was found lapsed", async () => {
    const { broker } = await setup();
    await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "r", until: broker.clock.now() + 1000 });
    broker.clock.advance(1000);
    const lapsed = broker.suspensions.lapsed.bind(broker.suspensions);
    broker.suspensions.lapsed = async (now, limit) => {
      const found = await lapsed(now, limit);
      await suspendAgent(broker, SECURITY, { agent: AGENT, reason: "renewed", until: now + 60_000 });
      return found;
    };
    expect(await liftLapsedSuspensions(broker)).toBe(0);
    expect(await broker.suspensions.get(AGENT)).toMatchObject({ reason: "renewed" });
  });
});
