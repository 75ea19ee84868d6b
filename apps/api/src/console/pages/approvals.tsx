import type { Approval } from "@leash/core";
import { PostButton } from "../components/layout.js";
import { agentHref, StateLabel, taskHref } from "../components/lease-table.js";
import { relative, when } from "../format.js";

export interface ApprovalsProps {
  pending: Approval[];
  recent: Approval[];
  csrf: string;
  now: number;
}

function ApprovalRow({ a, csrf, now }: { a: Approval; csrf: string; now: number }) {
  const path = `/console/approvals/${encodeURIComponent(a.id)}`;
  return (
    <tr data-approval={a.id}>
      <td class="mono">{a.id}</td>
      <td class="mono">
        <a href={agentHref(a.agent)}>{a.agent}</a>
      </td>
      <td class="mono">
        <a href={taskHref(a.taskId)}>{a.taskId}</a>
      </td>
      <td>
        {a.provider}
        {a.target && <span class="mono"> · {a.target}</span>}
      </td>
      <td class="mono">
        {a.intent.action} {a.intent.resource}
        {a.intent.sensitivity && ` (${a.intent.sensitivity})`}
        {a.intent.purpose && <div class="muted">{a.intent.purpose}</div>}
      </td>
      <td class="mono">{a.reasons.join(", ")}</td>
      <td title={when(a.createdAt)}>{relative(a.createdAt, now)}</td>
      <td>
        {a.state === "pending" ? (
          <>
            <span title={when(a.expiresAt)}>expires {relative(a.expiresAt, now)}</span>{" "}
            <PostButton action={`${path}/approve`} csrf={csrf} label="Approve" kind="primary" />{" "}
            <PostButton action={`${path}/deny`} csrf={csrf} label="Deny" kind="danger" />
          </>
        ) : (
          <>
            <StateLabel state={a.state} />
            {a.decidedBy && <span class="muted"> by {a.decidedBy}</span>}
          </>
        )}
      </td>
    </tr>
  );
}

function ApprovalTable({ items, csrf, now }: { items: Approval[]; csrf: string; now: number }) {
  if (items.length === 0) return <p class="muted">None.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Request</th>
          <th>Agent</th>
          <th>Task</th>
          <th>Provider</th>
          <th>Intent</th>
          <th>Policies</th>
          <th>Asked</th>
          <th>Decision</th>
        </tr>
      </thead>
      <tbody>
        {items.map((a) => (
          <ApprovalRow a={a} csrf={csrf} now={now} />
        ))}
      </tbody>
    </table>
  );
}

/** Step-up requests: a policy said a person must look first. Nobody may decide on their own request. */
export function ApprovalsPage({ pending, recent, csrf, now }: ApprovalsProps) {
  return (
    <>
      <h1>Pending approvals ({pending.length})</h1>
      <ApprovalTable items={pending} csrf={csrf} now={now} />
      <h2>Recently decided</h2>
      <ApprovalTable items={recent} csrf={csrf} now={now} />
    </>
  );
}
