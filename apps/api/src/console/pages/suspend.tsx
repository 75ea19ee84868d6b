import type { Lease } from "@leash/core";
import { LeaseTable } from "../components/lease-table.js";
import { plural } from "../format.js";

export interface SuspendProps {
  agent: string;
  /** Its live leases and its delegates', counted from the store just now. */
  live: Lease[];
  delegated: number;
  csrf: string;
  now: number;
}

/** The confirmation of a suspension says what it does and how many live leases it revokes. */
export function SuspendPage({ agent, live, delegated, csrf, now }: SuspendProps) {
  const shown = live.slice(0, 50);
  return (
    <>
      <h1>
        Suspend <span class="mono">{agent}</span>?
      </h1>
      <div class="confirm">
        <p class="hits" id="hits">
          This will revoke {plural(live.length, "live lease")}
          {delegated > 0 && ` (${delegated} of them its delegates')`}.
        </p>
        <p>
          Every request this identity makes is refused (whatever its roles) until the suspension is lifted,
          and nothing is issued under any task descending from its tasks. Its tasks stay as they are; lifting
          the suspension restores nothing.
        </p>
        <form method="post" action="/console/suspend">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="agent" value={agent} />
          <p>
            <label>
              Reason (recorded in the audit log)
              <input name="reason" required maxlength={500} size={60} />
            </label>
          </p>
          <p>
            <label>
              Lift by itself after (minutes; empty: until lifted)
              <input name="minutes" type="number" min={1} max={525600} />
            </label>
          </p>
          <p>
            <label>
              <input type="checkbox" name="include_delegated" value="true" checked /> Also revoke its
              delegates' leases
            </label>
          </p>
          <button type="submit" class="danger">
            Suspend and revoke {plural(live.length, "live lease")}
          </button>{" "}
          <a href={`/console/agent?agent=${encodeURIComponent(agent)}`}>Cancel</a>
        </form>
      </div>
      {shown.length > 0 && (
        <>
          <h2>{shown.length < live.length ? `The first ${shown.length} of them` : "What it revokes"}</h2>
          <LeaseTable leases={shown} now={now} actions={false} />
        </>
      )}
    </>
  );
}
