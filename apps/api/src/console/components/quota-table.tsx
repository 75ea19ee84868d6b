import type { Quota, QuotaStanding } from "@leash/core";

/** One limit of one quota against what its pool holds now. */
export interface QuotaRow {
  quota: string;
  appliesTo: string;
  limit: "max_live" | "max_per_minute" | "max_issued";
  /** null: not kept as a total (a per-agent quota's per-minute windows are each agent's). */
  used: number | null;
  max: number;
  /** The limit binds each agent on its own, and `used` is a total over agents (no meter then). */
  perAgentTotal?: boolean;
}

const LIMIT_LABEL: Record<QuotaRow["limit"], string> = {
  max_live: "live leases",
  max_per_minute: "per minute",
  max_issued: "issued",
};

/** What a quota's match selects, for people. */
function appliesTo(quota: Quota): string {
  const m = quota.match;
  const parts = [
    m.agent !== undefined ? `agent ${m.agent}` : undefined,
    m.agentPrefix !== undefined ? `agents ${m.agentPrefix}…` : undefined,
    m.provider !== undefined ? `provider ${m.provider}` : undefined,
    m.target !== undefined ? `target ${m.target}` : undefined,
  ].filter((p) => p !== undefined);
  return `${parts.join(", ") || "every lease"}${quota.perAgent ? " (each agent its own)" : ""}`;
}

/** The rows of trust-file quotas: one per limit set. `totals`: usage summed over a per-agent quota's agents. */
export function standingRows(standings: readonly QuotaStanding[], totals = false): QuotaRow[] {
  return standings.flatMap(({ quota, usage }) => {
    const base = { quota: quota.id, appliesTo: appliesTo(quota), perAgentTotal: totals && quota.perAgent };
    return [
      ...(quota.maxLive !== undefined
        ? [{ ...base, limit: "max_live" as const, used: usage.live, max: quota.maxLive }]
        : []),
      ...(quota.maxPerMinute !== undefined
        ? [
            {
              ...base,
              limit: "max_per_minute" as const,
              used: base.perAgentTotal ? null : usage.perMinute,
              max: quota.maxPerMinute,
            },
          ]
        : []),
    ];
  });
}

/** Usage against limits; a full pool reads "full" (the next request is refused with 429). */
export function QuotaTable({ rows }: { rows: readonly QuotaRow[] }) {
  if (rows.length === 0) return <p class="muted">No quota applies.</p>;
  return (
    <table class="quotas">
      <thead>
        <tr>
          <th>Quota</th>
          <th>Applies to</th>
          <th>Limit</th>
          <th>Usage</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr data-quota={r.quota} data-limit={r.limit}>
            <td class="mono">{r.quota}</td>
            <td>{r.appliesTo}</td>
            <td>
              {r.max} {LIMIT_LABEL[r.limit]}
              {r.perAgentTotal ? " per agent" : ""}
            </td>
            <td>
              {r.used === null ? (
                "kept per agent: see the agent's page"
              ) : r.perAgentTotal ? (
                `${r.used} over all agents`
              ) : (
                <>
                  <meter value={r.used} min={0} max={r.max} high={Math.ceil(r.max * 0.8)} optimum={0} />{" "}
                  <span class="usage">
                    {r.used} / {r.max}
                  </span>
                  {r.used !== null && r.used >= r.max && <strong class="full"> full</strong>}
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
