import type { GatewayRevocation } from "@leash/core";
import type { Refusal } from "./problem.js";

/** Why a response in flight is cut: its lease ended, or the gateway can no longer tell that it has not. */
export type CutReason = Extract<Refusal, "lease_not_live" | "gateway_unavailable">;

export interface Flight {
  leaseId: string;
  upstream: string;
  issuedAt: number;
  expiresAt: number;
  /** Stops the exchange: refuses it if nothing was sent yet, else breaks the response off. Idempotent. */
  cut(reason: CutReason): void;
}

type LeaseStatus = "live" | "ended" | "stale";

/**
 * Every request between its checks and the end of its response, by lease, so that a revocation reaches the
 * responses still streaming: at once when the revocation feed announces it, else at the next sweep (expiry by the
 * token's `exp`, an end the feed's snapshot shows, a view gone stale).
 */
export class InFlight {
  private readonly byLease = new Map<string, Set<Flight>>();

  add(flight: Flight): () => void {
    let set = this.byLease.get(flight.leaseId);
    if (!set) {
      set = new Set();
      this.byLease.set(flight.leaseId, set);
    }
    set.add(flight);
    return () => {
      set.delete(flight);
      if (set.size === 0 && this.byLease.get(flight.leaseId) === set) this.byLease.delete(flight.leaseId);
    };
  }

  /** Cuts what the revocation covers; returns how many. */
  revoked(entry: GatewayRevocation): number {
    if (entry.kind === "lease")
      return this.cutAll([...(this.byLease.get(entry.leaseId) ?? [])], "lease_not_live");
    const hit = this.all().filter((f) => f.upstream === entry.upstream && f.issuedAt < entry.issuedBefore);
    return this.cutAll(hit, "lease_not_live");
  }

  /** Cuts the expired, the ended and, when the view is stale, everything; returns how many. */
  sweep(now: number, status: (flight: Flight) => LeaseStatus): number {
    let cut = 0;
    for (const flight of this.all()) {
      const s = flight.expiresAt <= now ? "ended" : status(flight);
      if (s === "live") continue;
      flight.cut(s === "ended" ? "lease_not_live" : "gateway_unavailable");
      cut++;
    }
    return cut;
  }

  size(): number {
    let n = 0;
    for (const set of this.byLease.values()) n += set.size;
    return n;
  }

  private all(): Flight[] {
    return [...this.byLease.values()].flatMap((set) => [...set]);
  }

  private cutAll(flights: Flight[], reason: "lease_not_live"): number {
    for (const f of flights) f.cut(reason);
    return flights.length;
  }
}
