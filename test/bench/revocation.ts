import { waitFor } from "@leash/devstack";
import type { BenchAgent } from "./agents.js";
import type { BenchStack } from "./stack.js";
import { summarize } from "./stats.js";

/**
 * Completion -> revoked (worker-confirmed) for leases whose task completes, and expiry lateness (revoked_at minus
 * expires_at) for 1-second leases, read from the lease records.
 */
export async function revocationLatency(
  stack: BenchStack,
  agents: readonly BenchAgent[],
  orchestrator: string,
  samples = 50,
) {
  const sent = new Map<string, number>();
  const expiring: string[] = [];
  for (let i = 0; i < samples; i++) {
    const agent = agents[i % agents.length];
    if (!agent) continue;
    const task = await stack.post("/v1/tasks", orchestrator, {
      agent: agent.sub,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 600,
    });
    const lease = await stack.post("/v1/leases", agent.token, {
      task_id: task.id,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/c" },
    });
    sent.set(lease.lease_id ?? "", Date.now());
    await stack.post(`/v1/tasks/${task.id}/complete`, orchestrator);
  }
  for (let i = 0; i < samples * 2; i++) {
    const agent = agents[i % agents.length];
    if (!agent) continue;
    const lease = await stack.post("/v1/leases", agent.token, {
      task_id: agent.taskId,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/e" },
      ttl_seconds: 1,
    });
    expiring.push(lease.lease_id ?? "");
  }
  const settled = await waitFor(
    async () => {
      const all = await stack.store.leases.getMany([...sent.keys(), ...expiring]);
      return all.every((l) => l.state === "revoked" || l.state === "expired") ? all : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, what: "revocations to settle" },
  );
  const completion: number[] = [];
  const lateness: number[] = [];
  for (const l of settled) {
    const at = sent.get(l.id);
    if (at !== undefined) completion.push((l.revokedAt ?? 0) - at);
    else lateness.push((l.revokedAt ?? 0) - l.expiresAt);
  }
  return { completion: summarize(completion), lateness: summarize(lateness) };
}

/**
 * Orders the revocation of every live lease and waits for the campaign to finish, then for every receipt to be in
 * the audit log (the outbox empty).
 */
export async function massRevocation(stack: BenchStack) {
  const security = await stack.issuer.mint({ sub: "spiffe://dev.local/security/bench" });
  const live = await stack.store.leases.liveCount({});
  const auditBefore = await stack.redis.xlen(stack.keys.audit);
  const byProvider = (await stack.store.leases.gauges()).liveByProvider;
  const started = Date.now();
  const order = await stack.post("/v1/revocations", security, { selector: { all: true }, reason: "bench" });
  let lastReport = 0;
  const result = await waitFor(
    async () => {
      const body = (await stack.get(`/v1/revocations/${order.id}`, security)) as {
        state: string;
        matched: number;
        revoked: number;
      };
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        process.stderr.write(`  mass revocation: ${body.revoked} of ${body.matched}\n`);
      }
      return body.state !== "running" ? body : undefined;
    },
    { timeoutMs: 900_000, intervalMs: 100, what: "the mass revocation" },
  );
  const ms = Date.now() - started;
  await waitFor(async () => ((await stack.redis.llen(stack.keys.auditOutbox)) === 0 ? true : undefined), {
    timeoutMs: 300_000,
    intervalMs: 50,
    what: "the receipts to be chained",
  });
  const receiptsMs = Date.now() - started;
  const auditEvents = (await stack.redis.xlen(stack.keys.audit)) - auditBefore;
  const remaining = await stack.store.leases.liveCount({});
  return {
    live,
    byProvider,
    matched: result.matched,
    state: result.state,
    ms,
    perSecond: result.matched / (ms / 1000),
    remaining,
    receiptsMs,
    auditEvents,
  };
}
