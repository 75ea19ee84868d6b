import { type Lease, observedState } from "@leash/core";
import { relative, when } from "../format.js";

export const agentHref = (agent: string) => `/console/agent?agent=${encodeURIComponent(agent)}`;
export const taskHref = (taskId: string) => `/console/tasks/${encodeURIComponent(taskId)}`;
export const leaseHref = (leaseId: string) => `/console/leases/${encodeURIComponent(leaseId)}`;
export const revokeHref = (kind: "lease" | "task" | "agent", id: string) =>
  `/console/revoke?kind=${kind}&id=${encodeURIComponent(id)}`;

export function StateLabel({ state }: { state: string }) {
  return <span class={`state-${state}`}>{state}</span>;
}

/**
 * Leases as the console shows them: identifiers, scope and times only. The revocation handle (access key id,
 * accessor, Vault lease id) is deliberately absent, like every secret.
 */
export function LeaseTable({
  leases,
  now,
  actions = true,
  chains,
}: {
  leases: Lease[];
  now: number;
  actions?: boolean;
  /** Delegates' leases in an exposure: lease id -> the agents it was delegated through, nearest first. */
  chains?: ReadonlyMap<string, readonly string[]>;
}) {
  if (leases.length === 0) return <p class="muted">No lease.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Lease</th>
          <th>Agent</th>
          <th>Task</th>
          <th>Provider</th>
          <th>Target</th>
          <th>Scope</th>
          <th>State</th>
          <th>Expires</th>
          {actions && <th />}
        </tr>
      </thead>
      <tbody>
        {leases.map((l) => (
          <tr data-lease={l.id}>
            <td class="mono">
              <a href={leaseHref(l.id)}>{l.id}</a>
              {l.breakGlass && <strong title="issued under break-glass"> ⚠</strong>}
            </td>
            <td class="mono">
              <a href={agentHref(l.agent)}>{l.agent}</a>
              {chains?.has(l.id) && (
                <span class="muted" title="delegated: the agents above it, nearest first">
                  {` via ${chains.get(l.id)?.join(" ← ")}`}
                </span>
              )}
            </td>
            <td class="mono">
              <a href={taskHref(l.taskId)}>{l.taskId}</a>
            </td>
            <td>{l.provider}</td>
            <td class="mono">{l.target ?? "—"}</td>
            <td class="mono">{l.scope.join(", ") || `${l.intent.action}:${l.intent.resource}`}</td>
            <td>
              {/* Past its expiry a lease reads expired, never active (like the API's lease view). */}
              <StateLabel state={observedState(l, now).state} />
            </td>
            <td title={when(l.expiresAt)}>{relative(l.expiresAt, now)}</td>
            {actions && (
              <td>
                <a href={revokeHref("lease", l.id)}>Revoke…</a>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
