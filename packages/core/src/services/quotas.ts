import { agentPool, type Quota, type QuotaPool, type QuotaUsage, quotaBindsAgent } from "../quota.js";
import type { BrokerDeps } from "./deps.js";

/** A trust-file quota and how full the pool it names is now. */
export interface QuotaStanding {
  quota: Quota;
  usage: QuotaUsage;
}

function poolOf(quota: Quota, pool: string): QuotaPool {
  return {
    quota: quota.id,
    pool,
    ...(quota.maxLive !== undefined ? { live: {} } : {}),
    ...(quota.maxPerMinute !== undefined ? { perMinute: {} } : {}),
  };
}

async function standings(deps: BrokerDeps, quotas: readonly Quota[], pools: QuotaPool[]) {
  const usage = await deps.leases.quotaUsage(pools, deps.clock.now());
  return quotas.map((quota, i) => ({ quota, usage: usage[i] ?? { live: 0, perMinute: 0, issued: 0 } }));
}

/**
 * The quotas that bind an agent (its agent criteria select it, whatever provider and target they also name), each
 * with the usage of the pool the agent's leases count in: its own for a per-agent quota, the shared one otherwise.
 */
export function agentQuotas(deps: BrokerDeps, agent: string): Promise<QuotaStanding[]> {
  const binding = (deps.config.quotas ?? []).filter((q) => quotaBindsAgent(q, agent));
  return standings(
    deps,
    binding,
    binding.map((q) => poolOf(q, agentPool(q, agent))),
  );
}

/**
 * Every quota with what it counts in total, for metrics: over all agents for a per-agent quota, whose per-minute
 * total is not kept (`perMinute` reads 0 there; each agent's window is in its exposure).
 */
export function quotaTotals(deps: BrokerDeps): Promise<QuotaStanding[]> {
  const quotas = deps.config.quotas ?? [];
  return standings(
    deps,
    quotas,
    quotas.map((q) => (q.perAgent ? { quota: q.id, pool: q.id, live: {} } : poolOf(q, q.id))),
  );
}
