import { ProviderName, type Quota } from "@leash/core";
import { z } from "zod";

const Limit = z.number().int().min(1).max(1_000_000_000);

/** One entry of the trust file's `quotas` (API.md "Quotas, precisely"), in its wire spelling. */
const QuotaEntry = z
  .strictObject({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        "1-64 letters, digits and . _ - (starting with one of the first two)",
      ),
    match: z
      .strictObject({
        agent: z.string().min(1).max(512).optional(),
        agent_prefix: z.string().min(1).max(512).optional(),
        provider: ProviderName.optional(),
        target: z.string().min(1).max(1024).optional(),
      })
      .refine((m) => m.agent === undefined || m.agent_prefix === undefined, {
        message: "agent and agent_prefix exclude each other",
      }),
    per: z.literal("agent").optional(),
    max_live: Limit.optional(),
    max_per_minute: Limit.optional(),
  })
  .refine((q) => q.max_live !== undefined || q.max_per_minute !== undefined, {
    message: "sets no limit: give max_live, max_per_minute or both",
  });
type QuotaEntry = z.infer<typeof QuotaEntry>;

function toQuota(entry: QuotaEntry): Quota {
  const { agent, agent_prefix, provider, target } = entry.match;
  return {
    id: entry.id,
    match: {
      ...(agent !== undefined ? { agent } : {}),
      ...(agent_prefix !== undefined ? { agentPrefix: agent_prefix } : {}),
      ...(provider !== undefined ? { provider } : {}),
      ...(target !== undefined ? { target } : {}),
    },
    perAgent: entry.per === "agent",
    ...(entry.max_live !== undefined ? { maxLive: entry.max_live } : {}),
    ...(entry.max_per_minute !== undefined ? { maxPerMinute: entry.max_per_minute } : {}),
  };
}

/**
 * The trust file's `quotas`: every entry valid and every id unique, or start-up stops naming the entry. Counters
 * are kept under the id, so two entries sharing one would count into each other.
 */
export const QuotasSection = z
  .array(QuotaEntry)
  .max(1000)
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    for (const [index, { id }] of entries.entries()) {
      if (seen.has(id)) ctx.addIssue({ code: "custom", path: [index, "id"], message: `${id} is used twice` });
      seen.add(id);
    }
  })
  .transform((entries) => entries.map(toQuota));
