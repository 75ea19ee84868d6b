import { z } from "zod";
import type { Intent } from "./intent.js";

export const ProviderName = z.enum(["leash-jwt", "aws-sts", "vault", "gateway", "oauth"]);
export type ProviderName = z.infer<typeof ProviderName>;

export const LeaseState = z.enum([
  "pending",
  "active",
  "revoking",
  "revoked",
  "revoke_failed",
  "aborted",
  "expired",
]);
export type LeaseState = z.infer<typeof LeaseState>;

/**
 * Why a lease ended: the `cause` of its receipt (`lease.revoked` / `lease.expired`) and its `revoke_reason`.
 * `expired` is natural expiry; every other cause is an order, by an actor, before the lease's own expiry.
 */
export const RevokeCause = z.enum([
  "task_completed",
  "task_cancelled",
  "task_expired",
  "returned",
  "expired",
  "campaign",
  "ceiling_narrowed",
  "policy_changed",
  "agent_suspended",
  "break_glass_ended",
  "security",
]);
export type RevokeCause = z.infer<typeof RevokeCause>;

/** The actor of what Leash does by itself (expiry, task deadlines, collateral of a target cut, policy reloads). */
export const LEASH_ACTOR = "leash";

/** States in which a credential may exist at a provider: these are what revocation and exposure look at. */
export const LIVE_STATES: readonly LeaseState[] = ["pending", "active", "revoking", "revoke_failed"];
export const TERMINAL_STATES: readonly LeaseState[] = ["revoked", "aborted", "expired"];

/**
 * The lease state machine. A lease never goes back; `revoke_failed` keeps retrying until `revoked`.
 * The Redis scripts enforce the same table (store/src/lua/transition.lua).
 */
export const TRANSITIONS: Readonly<Record<LeaseState, readonly LeaseState[]>> = {
  pending: ["active", "aborted"],
  active: ["revoking", "expired"],
  revoking: ["revoked", "revoke_failed"],
  revoke_failed: ["revoked", "revoke_failed"],
  revoked: [],
  aborted: [],
  expired: [],
};

export function canTransition(from: LeaseState, to: LeaseState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isLive(state: LeaseState): boolean {
  return LIVE_STATES.includes(state);
}

/** What a provider needs later to revoke a credential: identifiers only, never secret values. */
export type RevocationHandle = Readonly<Record<string, string | number | boolean>>;

export interface Lease {
  id: string;
  taskId: string;
  agent: string;
  provider: ProviderName;
  target: string | null;
  intent: Intent;
  /** A readable summary of what the credential allows (e.g. IAM actions and ARNs). */
  scope: string[];
  state: LeaseState;
  issuedAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** The cause of the end (a `RevokeCause`), or why the write-ahead was aborted. */
  revokeReason: string | null;
  /** When a revocation was ordered (task end, return, campaign, expiry), for revocation latency. */
  revokeRequestedAt?: number | null;
  handle: RevocationHandle | null;
  /** When the credential dies by itself at the provider (STS never less than 900 s). */
  providerExpiresAt: number | null;
  breakGlass: boolean;
  /** The break-glass grant the lease needed (it ends with it), when `breakGlass`. */
  breakGlassId?: string | null;
  /** The TTL the policies saw at issuance (requested, or the default then): a re-evaluation asks with it again. */
  requestedTtlSeconds?: number | null;
  /** The id of the policy set that permitted the lease (none without policies, or for leases before it was kept). */
  policySet?: string | null;
}
