import type { LeaseSelector } from "./ports.js";

export type CampaignState = "running" | "done" | "failed";

/** A mass revocation: a frozen list of target leases, worked through in order with a saved cursor. */
export interface Campaign {
  id: string;
  reason: string;
  requestedBy: string;
  selector: LeaseSelector;
  createdAt: number;
  matched: number;
  /** How many targets the worker has ordered revoked so far (the campaign's cursor). */
  ordered: number;
  revoked: number;
  failed: number;
  state: CampaignState;
  /** When every matched lease had ended (and `revocation.completed` was audited), else null. */
  completedAt: number | null;
}

export type NewCampaign = Omit<Campaign, "ordered" | "revoked" | "failed" | "state" | "completedAt">;

/** Campaigns: a frozen target list plus counters, so a restarted worker resumes at its cursor. */
export interface CampaignStore {
  create(campaign: NewCampaign, targets: readonly string[]): Promise<void>;
  get(id: string): Promise<Campaign | null>;
  /** Ids of the newest `limit` campaigns whose targets are not all ordered yet. */
  unfinished(limit: number): Promise<string[]>;
  targets(id: string, from: number, count: number): Promise<string[]>;
  /**
   * Moves the campaign's cursor and counts leases known ended; returns true when this call completed the campaign
   * (which audits `revocation.completed` with its counts, once).
   */
  advance(id: string, ordered: number, ended: readonly string[], at: number): Promise<boolean>;
  /** Idempotent: a lease counts once however often its end is reported. True when this completed the campaign. */
  ended(id: string, leaseId: string, at: number): Promise<boolean>;
  failing(id: string, leaseId: string, at: number): Promise<void>;
  /** What `recordCut` noted for the campaign so far. */
  cuts(id: string): Promise<string[]>;
  /** Notes a target the campaign cut wholesale (or found it could not), so a resumed campaign does not ask again. */
  recordCut(id: string, entry: string): Promise<void>;
  /**
   * Claims the cut of a target for this run, once per campaign: false when another run (a part of the same campaign
   * on another shard) has claimed it, and will record its outcome.
   */
  claimCut(id: string, entry: string): Promise<boolean>;
}
