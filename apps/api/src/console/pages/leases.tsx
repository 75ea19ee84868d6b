import { type Lease, LIVE_STATES, ProviderName } from "@leash/core";
import { CountsByProviderAndState } from "../components/counts.js";
import { LeaseTable, revokeHref } from "../components/lease-table.js";
import { plural } from "../format.js";

interface LeaseFilters {
  agent?: string | undefined;
  task_id?: string | undefined;
  provider?: string | undefined;
  target?: string | undefined;
  state?: string | undefined;
}

export interface LeasesProps {
  filters: LeaseFilters;
  /** Every live lease matching the filters (for the counts). */
  matching: readonly Lease[];
  /** The newest of them, as many as the page shows. */
  shown: Lease[];
  now: number;
}

function Option({ value, current }: { value: string; current: string | undefined }) {
  return (
    <option value={value} selected={value === current}>
      {value}
    </option>
  );
}

export function LeasesPage({ filters, matching, shown, now }: LeasesProps) {
  return (
    <>
      <h1>Live leases</h1>
      <form class="filters" method="get" action="/console">
        <label>
          Agent
          <input name="agent" value={filters.agent ?? ""} size={40} />
        </label>
        <label>
          Task
          <input name="task_id" value={filters.task_id ?? ""} size={24} />
        </label>
        <label>
          Provider
          <select name="provider">
            <option value="">any</option>
            {ProviderName.options.map((p) => (
              <Option value={p} current={filters.provider} />
            ))}
          </select>
        </label>
        <label>
          Target
          <input name="target" value={filters.target ?? ""} size={40} />
        </label>
        <label>
          State
          <select name="state">
            <option value="">any live</option>
            {LIVE_STATES.map((s) => (
              <Option value={s} current={filters.state} />
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <a href="/console">Clear</a>
      </form>
      <CountsByProviderAndState leases={matching} />
      <h2>
        {plural(matching.length, "live lease")}
        {shown.length < matching.length && <span class="muted"> (newest {shown.length} shown)</span>}
      </h2>
      {filters.task_id && (
        <a href={revokeHref("task", filters.task_id)}>Cancel this task and revoke its leases…</a>
      )}
      {filters.agent && (
        <a href={revokeHref("agent", filters.agent)}>Revoke every live lease of this agent…</a>
      )}
      <LeaseTable leases={shown} now={now} />
    </>
  );
}
