import { z } from "@hono/zod-openapi";
import type { QuotaStanding } from "@leash/core";

const count = z.number().int().nullable();

/** A trust-file quota that binds an agent, as exposure shows it: its definition and the agent's pool's usage. */
export const QuotaBinding = z
  .object({
    id: z.string(),
    match: z.object({
      agent: z.string().optional(),
      agent_prefix: z.string().optional(),
      provider: z.string().optional(),
      target: z.string().optional(),
    }),
    per: z.literal("agent").nullable(),
    max_live: count,
    max_per_minute: count,
    usage: z.object({ live: count, per_minute: count }).openapi({
      description:
        "What the pool the agent's leases count in holds now (the agent's own with `per: agent`, else the one shared by everything the match selects); null for a limit the quota does not set",
    }),
  })
  .openapi("QuotaBinding");

export function quotaBindingView({ quota, usage }: QuotaStanding): z.infer<typeof QuotaBinding> {
  const m = quota.match;
  return {
    id: quota.id,
    match: {
      ...(m.agent !== undefined ? { agent: m.agent } : {}),
      ...(m.agentPrefix !== undefined ? { agent_prefix: m.agentPrefix } : {}),
      ...(m.provider !== undefined ? { provider: m.provider } : {}),
      ...(m.target !== undefined ? { target: m.target } : {}),
    },
    per: quota.perAgent ? "agent" : null,
    max_live: quota.maxLive ?? null,
    max_per_minute: quota.maxPerMinute ?? null,
    usage: {
      live: quota.maxLive !== undefined ? usage.live : null,
      per_minute: quota.maxPerMinute !== undefined ? usage.perMinute : null,
    },
  };
}
