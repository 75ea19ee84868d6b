import { isLive, type Lease, observedState } from "@leash/core";
import type { GatewayTraffic } from "@leash/store";
import { LeaseTraffic } from "../components/gateway-traffic.js";
import { agentHref, revokeHref, StateLabel, taskHref } from "../components/lease-table.js";
import { relative, when } from "../format.js";

interface LeaseProps {
  lease: Lease;
  /** A gateway lease's traffic (null: none counted); undefined for other providers. */
  traffic?: GatewayTraffic | null;
  now: number;
}

/** One lease: what it allows and its life so far. The revocation handle is never shown. */
export function LeasePage({ lease, traffic, now }: LeaseProps) {
  const intent = lease.intent;
  return (
    <>
      <h1 class="mono">Lease {lease.id}</h1>
      <dl class="facts">
        <dt>State</dt>
        <dd id="lease-state">
          <StateLabel state={observedState(lease, now).state} />
          {lease.breakGlass && <strong> · issued under break-glass</strong>}
        </dd>
        <dt>Agent</dt>
        <dd class="mono">
          <a href={agentHref(lease.agent)}>{lease.agent}</a>
        </dd>
        <dt>Task</dt>
        <dd class="mono">
          <a href={taskHref(lease.taskId)}>{lease.taskId}</a>
        </dd>
        <dt>Provider</dt>
        <dd>{lease.provider}</dd>
        <dt>Target</dt>
        <dd class="mono">{lease.target ?? "—"}</dd>
        <dt>Intent</dt>
        <dd class="mono">
          {intent.action} {intent.resource}
          {intent.tool && ` · tool ${intent.tool}`}
          {intent.sensitivity && ` · ${intent.sensitivity}`}
          {intent.destination && ` · to ${intent.destination}`}
          {intent.purpose && ` · ${intent.purpose}`}
        </dd>
        <dt>Scope</dt>
        <dd class="mono">{lease.scope.join(", ") || "—"}</dd>
        <dt>Issued</dt>
        <dd>{when(lease.issuedAt)}</dd>
        <dt>Expires</dt>
        <dd>
          {when(lease.expiresAt)} <span class="muted">({relative(lease.expiresAt, now)})</span>
        </dd>
        <dt>Ended</dt>
        <dd>
          {when(lease.revokedAt)}
          {lease.revokeReason && <span class="muted"> · {lease.revokeReason}</span>}
        </dd>
      </dl>
      {traffic !== undefined && (
        <>
          <h2>Gateway traffic</h2>
          <LeaseTraffic traffic={traffic} />
        </>
      )}
      <p>
        {isLive(lease.state) && (
          <>
            <a href={revokeHref("lease", lease.id)}>Revoke this lease…</a>
            {" · "}
          </>
        )}
        <a href={revokeHref("task", lease.taskId)}>Cancel its task…</a>
        {" · "}
        <a href={revokeHref("agent", lease.agent)}>Revoke every live lease of its agent…</a>
      </p>
    </>
  );
}
