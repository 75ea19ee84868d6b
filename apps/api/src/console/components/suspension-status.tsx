import type { Suspension } from "@leash/core";

const when = (ms: number) => new Date(ms).toISOString();

export interface SuspensionStatusProps {
  agent: string;
  suspension: Suspension | null;
  csrf: string;
}

/** Whether the identity is suspended, with its action: suspend (after a confirmation page) or lift. */
export function SuspensionStatus({ agent, suspension, csrf }: SuspensionStatusProps) {
  if (!suspension) {
    return (
      <p id="suspension">
        Not suspended ·{" "}
        <a href={`/console/suspend?agent=${encodeURIComponent(agent)}`}>Suspend this identity…</a>
      </p>
    );
  }
  const until = suspension.until === null ? "until lifted" : `until ${when(suspension.until)}`;
  return (
    <form id="suspension" class="notice error" method="post" action="/console/unsuspend">
      <strong>Suspended</strong> since {when(suspension.at)} by <span class="mono">{suspension.by}</span>,{" "}
      {until}: {suspension.reason} <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="agent" value={agent} />
      <button type="submit">Lift the suspension</button>
    </form>
  );
}
