import { type Lease, newId, type Task } from "@leash/core";

/** A root task of one agent, active for an hour from `now` (tests of the store and its scripts). */
export function taskFixture(overrides: Partial<Task> = {}, now = Date.now()): Task {
  return {
    id: newId("tk"),
    agent: "spiffe://t/agent/a",
    ceiling: [{ action: "read", resource: "docs/*" }],
    ttlSeconds: 3600,
    parentId: null,
    depth: 0,
    labels: {},
    state: "active",
    createdBy: "spiffe://t/orchestrator",
    createdAt: now,
    deadline: now + 3_600_000,
    endedAt: null,
    bodyHash: "h",
    ...overrides,
  };
}

/** A pending leash-jwt lease of `taskId`, expiring a minute after `now`. */
export function leaseFixture(taskId: string, overrides: Partial<Lease> = {}, now = Date.now()): Lease {
  return {
    id: newId("ls"),
    taskId,
    agent: "spiffe://t/agent/a",
    provider: "leash-jwt",
    target: null,
    intent: { action: "read", resource: "docs/a" },
    scope: [],
    state: "pending",
    issuedAt: now,
    expiresAt: now + 60_000,
    revokedAt: null,
    revokeReason: null,
    handle: null,
    providerExpiresAt: null,
    breakGlass: false,
    ...overrides,
  };
}

/** What activating a `leaseFixture` stores. */
export const activationFixture = (now = Date.now()) => ({
  handle: { jti: "x" },
  providerExpiresAt: now + 60_000,
  scope: ["read docs/a"],
});
