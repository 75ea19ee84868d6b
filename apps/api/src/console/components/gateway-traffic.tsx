import type { AgentGatewayTraffic, GatewayTraffic } from "@leash/store";
import { when } from "../format.js";

/** Bytes for people: 1,234 B, 12.3 KiB, 45.6 MiB. */
function bytes(n: number): string {
  if (n < 1024) return `${n.toLocaleString("en")} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const listed = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ") || "—";

const meanMs = (t: GatewayTraffic) =>
  t.requests === 0 ? "—" : `${(t.durationMs / t.requests).toFixed(1)} ms`;

/** A gateway lease's traffic: what went through, what was refused or cut and why. Never a path or a header. */
export function LeaseTraffic({ traffic }: { traffic: GatewayTraffic | null }) {
  if (!traffic) return <p class="muted">No request through the gateway yet.</p>;
  return (
    <dl class="facts" id="gateway-traffic">
      <dt>Requests</dt>
      <dd>
        <strong data-figure="requests">{traffic.requests}</strong>: {traffic.relayed} relayed,{" "}
        {traffic.refused} refused, {traffic.cut} cut
      </dd>
      <dt>Upstream answers</dt>
      <dd data-figure="status">{listed(traffic.byStatus)}</dd>
      <dt>Refused or cut, by reason</dt>
      <dd data-figure="reasons">{listed(traffic.byReason)}</dd>
      <dt>Bytes</dt>
      <dd data-figure="bytes">
        {bytes(traffic.bytesIn)} from the agent, {bytes(traffic.bytesOut)} to the agent
      </dd>
      <dt>Gateway time</dt>
      <dd>{meanMs(traffic)} per request on average</dd>
      <dt>First / last request</dt>
      <dd>
        {when(traffic.first)} / {when(traffic.last)}
      </dd>
    </dl>
  );
}

/** An agent's gateway traffic by upstream over the last `days` days. */
export function AgentTraffic({ rows, days }: { rows: readonly AgentGatewayTraffic[]; days: number }) {
  if (rows.length === 0) return <p class="muted">No request through the gateway in the last {days} days.</p>;
  return (
    <table class="traffic">
      <thead>
        <tr>
          <th>Upstream</th>
          <th class="num">requests</th>
          <th class="num">relayed</th>
          <th class="num">refused</th>
          <th class="num">cut</th>
          <th>refused or cut, by reason</th>
          <th class="num">bytes in / out</th>
          <th>last request</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr data-upstream={r.upstream}>
            <td class="mono">{r.upstream}</td>
            <td class="num">{r.requests}</td>
            <td class="num">{r.relayed}</td>
            <td class="num">{r.refused}</td>
            <td class="num">{r.cut}</td>
            <td>{listed(r.byReason)}</td>
            <td class="num">
              {bytes(r.bytesIn)} / {bytes(r.bytesOut)}
            </td>
            <td>{when(r.last)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
