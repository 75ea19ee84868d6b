import type { QuotaStanding, Suspension } from "@leash/core";
import type { AgentGatewayTraffic, ExposedLease } from "@leash/store";
import { AgentTraffic } from "../components/gateway-traffic.js";
import { LeaseTable, revokeHref } from "../components/lease-table.js";
import { QuotaTable, standingRows } from "../components/quota-table.js";
import { SuspensionStatus } from "../components/suspension-status.js";
import { plural, tally } from "../format.js";

export interface ExposureProps {
  agent: string | undefined;
  /** Its live leases and its delegates' (with `chain`), soonest expiry first. */
  exposed: ExposedLease[];
  /** The trust file's quotas that bind the agent, with the usage of its pool in each. */
  quotas?: readonly QuotaStanding[];
  /** Its own requests through the gateways over the last `days` days, by upstream. */
  traffic?: { rows: readonly AgentGatewayTraffic[]; days: number };
  now: number;
  /** Its suspension in force, if any. */
  suspension?: Suspension | null;
  csrf?: string;
}

/** An agent's blast radius now: what it, and everyone it delegated to, could do with the credentials still held. */
export function ExposurePage({
  agent,
  exposed,
  quotas = [],
  traffic,
  now,
  suspension = null,
  csrf = "",
}: ExposureProps) {
  const live = exposed.map((e) => e.lease);
  const chains = new Map(exposed.flatMap((e) => (e.chain ? [[e.lease.id, e.chain] as const] : [])));
  const byProvider = Object.entries(tally(live, (l) => l.provider)).sort();
  return (
    <>
      <h1>Agent exposure</h1>
      <form class="filters" method="get" action="/console/agent">
        <label>
          Agent (SPIFFE ID or subject)
          <input name="agent" value={agent ?? ""} size={60} required />
        </label>
        <button type="submit">Show</button>
      </form>
      {agent && (
        <>
          <h2 class="mono">{agent}</h2>
          <SuspensionStatus agent={agent} suspension={suspension} csrf={csrf} />
          <p>
            <strong id="exposure-count">{plural(live.length, "live lease")}</strong>
            {chains.size > 0 && ` (${chains.size} delegated)`}
            {byProvider.length > 0 && ` (${byProvider.map(([p, n]) => `${p}: ${n}`).join(", ")})`}
            {" · "}
            <a href={revokeHref("agent", agent)}>Revoke every live lease of this agent…</a>
          </p>
          <LeaseTable leases={live} now={now} chains={chains} />
          <h2>Quotas</h2>
          <QuotaTable rows={standingRows(quotas)} />
          {traffic && (
            <>
              <h2>Gateway traffic, last {traffic.days} days</h2>
              <AgentTraffic rows={traffic.rows} days={traffic.days} />
            </>
          )}
        </>
      )}
    </>
  );
}
