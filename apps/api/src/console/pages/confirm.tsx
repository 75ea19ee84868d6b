import type { Lease } from "@leash/core";
import { LeaseTable } from "../components/lease-table.js";
import { plural, tally } from "../format.js";
import type { RevokeKind } from "../hits.js";

export interface ConfirmProps {
  kind: RevokeKind;
  id: string;
  live: Lease[];
  csrf: string;
  now: number;
}

const QUESTION: Record<RevokeKind, string> = {
  lease: "Revoke lease",
  task: "Cancel task",
  agent: "Revoke every live lease of (and delegated by) agent",
};

const EFFECT: Record<RevokeKind, string> = {
  lease: "The credential stops working now; the provider is told to revoke it.",
  task: "The task and its sub-tasks end: no new lease can be issued for them, and their live leases are revoked.",
  agent:
    "A revocation campaign revokes every lease of this agent that is live now, and those of its delegates (every sub-task delegated from its tasks, at any depth), in chunks, with progress. New tasks for the agent are not blocked.",
};

/** The confirmation states how many live leases the action hits, counted from the store just now. */
export function ConfirmPage({ kind, id, live, csrf, now }: ConfirmProps) {
  const byProvider = Object.entries(tally(live, (l) => l.provider)).sort();
  const shown = live.slice(0, 50);
  const label =
    kind === "task"
      ? `Cancel the task and revoke ${plural(live.length, "live lease")}`
      : `Revoke ${plural(live.length, "live lease")}`;
  return (
    <>
      <h1>
        {QUESTION[kind]} <span class="mono">{id}</span>?
      </h1>
      <div class="confirm">
        <p class="hits" id="hits">
          This will hit {plural(live.length, "live lease")}
          {byProvider.length > 0 && ` (${byProvider.map(([p, n]) => `${p}: ${n}`).join(", ")})`}.
        </p>
        <p>{EFFECT[kind]}</p>
        {kind === "lease" && live.length === 0 ? (
          <p class="notice">This lease is no longer live: there is nothing to revoke.</p>
        ) : (
          <form method="post" action="/console/revoke">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="kind" value={kind} />
            <input type="hidden" name="id" value={id} />
            {kind === "agent" && (
              <p>
                <label>
                  Reason (recorded in the audit log)
                  <input name="reason" required maxlength={500} size={60} value="revoked from the console" />
                </label>
              </p>
            )}
            <button type="submit" class="danger">
              {label}
            </button>{" "}
            <a href="/console">Cancel</a>
          </form>
        )}
      </div>
      {shown.length > 0 && (
        <>
          <h2>{shown.length < live.length ? `The first ${shown.length} of them` : "What it hits"}</h2>
          <LeaseTable leases={shown} now={now} actions={false} />
        </>
      )}
    </>
  );
}
