import { describe, expect, it } from "vitest";
import { FakePolicy, fakeBroker, givenTask, identity } from "../testing/index.js";
import { type Issued, issueLease } from "./issue-lease.js";

const AGENT = "spiffe://example.org/agent";
const agent = identity(AGENT, "agent");

async function issue(options: { ttlSeconds?: number; policy?: FakePolicy }) {
  const broker = fakeBroker({ policy: options.policy, config: { defaultTtlSeconds: 600 } });
  const task = await givenTask(broker);
  const out = (await issueLease(broker, agent, {
    taskId: task.id,
    provider: "vault",
    target: "reader",
    intent: { action: "read", resource: "docs/a.md" },
    ttlSeconds: options.ttlSeconds,
  })) as Issued;
  return { stored: broker.leases.leases.get(out.lease.id), policy: options.policy };
}

describe("issueLease records what a re-evaluation decides the lease again with", () => {
  it("keeps the TTL the policies saw and the id of the set that permitted it", async () => {
    const policy = new FakePolicy(() => ({ policySet: "ps_one", maxTtlSeconds: 60 }));
    const { stored } = await issue({ ttlSeconds: 120, policy });
    // The lease lives 60 s (the policy's cap), but the policies were asked about 120 s.
    expect(stored).toMatchObject({ requestedTtlSeconds: 120, policySet: "ps_one" });
    expect((stored?.expiresAt ?? 0) - (stored?.issuedAt ?? 0)).toBe(60_000);
    expect(policy.requests[0]?.ttlSeconds).toBe(120);
  });

  it("records the default the policies saw when no TTL was asked for, and no set without policies", async () => {
    expect((await issue({ policy: new FakePolicy() })).stored).toMatchObject({ requestedTtlSeconds: 600 });
    expect((await issue({})).stored).toMatchObject({ requestedTtlSeconds: 600, policySet: null });
  });
});
