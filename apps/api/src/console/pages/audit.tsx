import type { StoredAuditEvent } from "@leash/store";
import { agentHref, leaseHref, taskHref } from "../components/lease-table.js";
import { when } from "../format.js";

const DETAIL_CHARS = 240;

/** Audit details never hold secrets (core/src/audit.ts); long ones are cut so one event cannot flood the page. */
function detailText(detail: StoredAuditEvent["detail"]): string {
  if (!detail) return "";
  const text = JSON.stringify(detail);
  return text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text;
}

export function AuditPage({ events, type }: { events: StoredAuditEvent[]; type: string | undefined }) {
  return (
    <>
      <h1>Audit tail</h1>
      <form class="filters" method="get" action="/console/audit">
        <label>
          Type
          <input name="type" value={type ?? ""} placeholder="e.g. lease.revoked" />
        </label>
        <button type="submit">Filter</button>
        <span class="muted">Newest first. The whole chain: GET /v1/audit/verify or leash audit verify.</span>
      </form>
      {events.length === 0 ? (
        <p class="muted">No event.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>Type</th>
              <th>Outcome</th>
              <th>Actor</th>
              <th>About</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr data-event={e.id}>
                <td title={e.id}>{when(e.ts)}</td>
                <td class="mono">{e.type}</td>
                <td class={`outcome-${e.outcome}`}>{e.outcome}</td>
                <td class="mono">{e.actor ?? "—"}</td>
                <td class="mono">
                  {e.agent && (
                    <div>
                      agent <a href={agentHref(e.agent)}>{e.agent}</a>
                    </div>
                  )}
                  {e.taskId && (
                    <div>
                      task <a href={taskHref(e.taskId)}>{e.taskId}</a>
                    </div>
                  )}
                  {e.leaseId && (
                    <div>
                      lease <a href={leaseHref(e.leaseId)}>{e.leaseId}</a>
                    </div>
                  )}
                </td>
                <td class="mono">{detailText(e.detail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
