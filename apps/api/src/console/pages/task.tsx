import type { LeaseState, Task } from "@leash/core";
import { agentHref, revokeHref, StateLabel } from "../components/lease-table.js";
import { type QuotaRow, QuotaTable } from "../components/quota-table.js";
import { relative, when } from "../format.js";

export interface TaskProps {
  task: Task;
  counts: Partial<Record<LeaseState, number>>;
  /** What the task's quota counts now (its leases and its descendants'), when it has one. */
  quotaUsage?: { live: number; issued: number } | null;
  now: number;
}

export function TaskPage({ task, counts, quotaUsage = null, now }: TaskProps) {
  const quota = task.quota;
  const rows: QuotaRow[] =
    quota && quotaUsage
      ? [
          ...(quota.maxLive !== undefined
            ? [{ limit: "max_live" as const, used: quotaUsage.live, max: quota.maxLive }]
            : []),
          ...(quota.maxIssued !== undefined
            ? [{ limit: "max_issued" as const, used: quotaUsage.issued, max: quota.maxIssued }]
            : []),
        ].map((r) => ({ ...r, quota: `task:${task.id}`, appliesTo: "this task and its sub-tasks" }))
      : [];
  return (
    <>
      <h1 class="mono">Task {task.id}</h1>
      <dl class="facts">
        <dt>State</dt>
        <dd id="task-state">
          <StateLabel state={task.state} />
        </dd>
        <dt>Agent</dt>
        <dd class="mono">
          <a href={agentHref(task.agent)}>{task.agent}</a>
        </dd>
        <dt>Registered by</dt>
        <dd class="mono">{task.createdBy}</dd>
        <dt>Parent</dt>
        <dd class="mono">{task.parentId ?? "—"}</dd>
        <dt>Deadline</dt>
        <dd>
          {when(task.deadline)} <span class="muted">({relative(task.deadline, now)})</span>
        </dd>
        <dt>Ceiling</dt>
        <dd class="mono">
          {task.ceiling
            .map((i) => `${i.action} ${i.resource}${i.sensitivity ? ` (${i.sensitivity})` : ""}`)
            .join(", ")}
        </dd>
        <dt>Leases</dt>
        <dd>
          {Object.entries(counts)
            .map(([state, n]) => `${state}: ${n}`)
            .join(", ") || "none"}
        </dd>
        <dt>Quota</dt>
        <dd>{rows.length > 0 ? <QuotaTable rows={rows} /> : "none of its own"}</dd>
      </dl>
      <p>
        <a href={`/console?task_id=${encodeURIComponent(task.id)}`}>Its live leases</a>
        {task.state === "active" && (
          <>
            {" · "}
            <a href={revokeHref("task", task.id)}>Cancel this task and revoke its leases…</a>
          </>
        )}
      </p>
    </>
  );
}
