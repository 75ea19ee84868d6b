import type { Lease, LeaseState } from "./lease.js";

/** A lease's state as a reader should see it at an instant; `confirmed` is set for `expired` only. */
export interface ObservedState {
  state: LeaseState;
  /** For `expired`: whether the worker has confirmed the end (false while it is only past its expiry). */
  confirmed?: boolean;
}

/**
 * The stored state says what the worker has confirmed; a lease whose `expiresAt` has passed is expired to every
 * reader from that instant on, even before the worker gets to it. So one past its expiry is never shown
 * `active`: it is `expired` with `confirmed: false` (it may still work at a provider until the worker ends it).
 */
export function observedState(lease: Pick<Lease, "state" | "expiresAt">, now: number): ObservedState {
  if (lease.state === "expired") return { state: "expired", confirmed: true };
  if (lease.state === "active" && lease.expiresAt <= now) return { state: "expired", confirmed: false };
  return { state: lease.state };
}
