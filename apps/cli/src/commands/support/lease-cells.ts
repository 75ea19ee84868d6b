import type { Lease } from "@leash/sdk";
import { expiresIn, table } from "./format.js";
import type { Paint } from "./io.js";

/** State in colour: live ones stand out, failures are red, finished ones recede. */
export function stateCell(state: Lease["state"], p: Paint): string {
  if (state === "active") return p.green(state);
  if (state === "revoke_failed") return p.red(state);
  if (state === "revoking" || state === "pending") return p.yellow(state);
  return p.dim(state);
}

/** "expires in" only means something while the lease is live. */
export function expiryCell(lease: Lease, now: number): string {
  return ["pending", "active", "revoking", "revoke_failed"].includes(lease.state)
    ? expiresIn(lease.expires_at, now)
    : "-";
}

export function leaseTable(leases: Lease[], p: Paint, now = Date.now()): string {
  return table(
    ["LEASE", "AGENT", "PROVIDER", "TARGET", "STATE", "EXPIRES IN"],
    leases.map((l) => [
      l.lease_id,
      l.agent,
      l.provider,
      l.target ?? "-",
      stateCell(l.state, p),
      expiryCell(l, now),
    ]),
    p.bold,
  );
}
