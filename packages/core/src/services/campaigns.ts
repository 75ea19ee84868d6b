import type { AuditSink } from "../audit.js";
import type { Campaign, CampaignStore } from "../campaign.js";
import { type Clock, sleepOn } from "../clock.js";
import { LeashError } from "../errors.js";
import { newId } from "../ids.js";
import type { Lease, LeaseState, ProviderName } from "../lease.js";
import type { LeaseSelector, LeaseStore, RevocationRequest, RevokeOrder } from "../ports.js";
import type { CredentialProvider } from "../provider.js";

/** The lease reads and transitions a campaign needs. */
export interface CampaignLeases extends Pick<LeaseStore, "selectLive" | "requestRevocation" | "settleMany"> {
  /** The leases of these ids that exist, in any order. */
  getMany(ids: readonly string[]): Promise<Lease[]>;
}

export interface CampaignQueue {
  startCampaign(campaignId: string): Promise<void>;
  revoke(orders: readonly RevokeOrder[]): Promise<void>;
}

export interface CampaignDeps {
  leases: CampaignLeases;
  campaigns: CampaignStore;
  queue: CampaignQueue;
  audit: AuditSink;
  clock: Clock;
}

/**
 * Orders a mass revocation: freezes the live leases the selector matches as the campaign's targets, queues the
 * campaign and audits the order. The API route and the console both come here.
 */
export async function startCampaign(
  deps: CampaignDeps,
  by: string,
  selector: LeaseSelector,
  reason: string,
): Promise<Campaign> {
  const targets = await deps.leases.selectLive(selector);
  const now = deps.clock.now();
  const id = newId("rv", now);
  await deps.campaigns.create(
    { id, reason, requestedBy: by, selector, createdAt: now, matched: targets.length },
    targets.map((l) => l.id),
  );
  await deps.queue.startCampaign(id);
  await deps.audit.append({
    type: "revocation.ordered",
    actor: by,
    outcome: "warning",
    detail: { campaign: id, selector, reason, matched: targets.length },
  });
  const campaign = await deps.campaigns.get(id);
  if (!campaign) throw new LeashError("internal", "campaign vanished after creation");
  return campaign;
}

export interface CampaignRunDeps extends CampaignDeps {
  providers: ReadonlyMap<ProviderName, CredentialProvider>;
  /** Bound on one provider's whole-target cut. */
  cutTimeoutMs: number;
}

/** What the process running a campaign does besides the campaign itself (metrics, logs, chaining receipts). */
export interface CampaignHooks {
  /** Leases this run ended without a provider call of their own (a target cut, or tokens that die in the store). */
  settled?(leases: readonly Lease[]): void;
  /** A provider failed to cut a target: its leases are revoked one by one instead. */
  cutFailed?(provider: ProviderName, target: string, error: Error): void;
  /** After each chunk is ordered and counted, and once at the end. */
  progress?(campaign: { ordered: number; matched: number }): Promise<void>;
}

export type CampaignRun =
  | { kind: "missing" }
  /** `signal` aborted between chunks: the rest is left for the next run, from the saved cursor. */
  | { kind: "paused"; ordered: number; matched: number }
  | { kind: "ordered"; ordered: number; matched: number };

const CHUNK = 500;
const TERMINAL: ReadonlySet<LeaseState> = new Set(["revoked", "aborted", "expired"]);

/**
 * Works through a campaign's frozen target list in chunks, saving its cursor after each one, so a run that dies or
 * stops resumes where it left off. Leases already ended count as revoked. Leases already dead at their provider (a
 * whole-target cut, or task tokens, which die in the store) are ordered and settled in one store call per chunk,
 * receipts included; the others get a revoke job each. The call that counts the last lease ended audits
 * `revocation.completed`.
 */
export async function runCampaign(
  deps: CampaignRunDeps,
  campaignId: string,
  hooks: CampaignHooks = {},
  signal?: AbortSignal,
): Promise<CampaignRun> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) return { kind: "missing" };
  const { matched } = campaign;
  let { ordered } = campaign;
  // Whole-target cuts first (one provider call per target), before any per-lease work.
  const firstChunk = await deps.leases.getMany(await deps.campaigns.targets(campaignId, 0, matched));
  const cut = await cutTargets(deps, campaign, firstChunk, hooks, signal);
  const order = { cause: "campaign", actor: campaign.requestedBy, campaignId } as const;
  const reason = `campaign ${campaignId}`;
  while (ordered < matched) {
    if (signal?.aborted) return { kind: "paused", ordered, matched };
    const ids = await deps.campaigns.targets(campaignId, ordered, CHUNK);
    if (ids.length === 0) break;
    const leases = await deps.leases.getMany(ids);
    const ended = new Set(leases.filter((l) => TERMINAL.has(l.state)).map((l) => l.id));
    const dead = leases.filter(
      (l) =>
        (l.state === "active" || l.state === "revoking" || l.state === "revoke_failed") &&
        (isCut(cut, l) || deps.providers.get(l.provider)?.revokesInStore),
    );
    const settled = await deps.leases.settleMany(
      dead.map((l): RevocationRequest => ({ leaseId: l.id, ...order })),
      deps.clock.now(),
    );
    for (const id of settled) ended.add(id);
    hooks.settled?.(dead.filter((l) => ended.has(l.id)));
    const rest = ids.filter((id) => !ended.has(id));
    const due = await deps.leases.requestRevocation(
      rest.map((leaseId): RevocationRequest => ({ leaseId, ...order })),
      deps.clock.now(),
    );
    await deps.queue.revoke(due.map((leaseId) => ({ leaseId, reason, campaignId })));
    // A lease that ended between the read and the order needs no job: count it here, or nothing ever would.
    const jobs = new Set(due);
    const unsure = rest.filter((id) => !jobs.has(id));
    for (const l of await deps.leases.getMany(unsure)) if (TERMINAL.has(l.state)) ended.add(l.id);
    ordered += ids.length;
    await deps.campaigns.advance(campaignId, ordered, [...ended], deps.clock.now());
    await hooks.progress?.({ ordered, matched });
  }
  // A campaign that matched nothing, or whose leases had all ended, is complete now.
  await deps.campaigns.advance(campaignId, ordered, [], deps.clock.now());
  await hooks.progress?.({ ordered, matched });
  return { kind: "ordered", ordered, matched };
}

const cutKey = (l: Pick<Lease, "provider" | "target">) => `${l.provider}\u0000${l.target ?? ""}`;
/** Marks a target whose provider declined to cut it wholesale, so later chunks do not ask again. */
const NOT_CUT = "\u0000per-lease";

/**
 * True when the selector takes every lease of each target it touches: a target (or `all`), narrowed by nothing but
 * the provider. An agent, agent prefix, task or issue time picks some leases of a target only.
 */
export function selectsWholeTargets(s: LeaseSelector): boolean {
  const narrowed =
    s.agent !== undefined ||
    s.agentPrefix !== undefined ||
    s.taskId !== undefined ||
    s.issuedBefore !== undefined;
  return !narrowed && (s.all === true || s.target !== undefined);
}

/**
 * A campaign that selects whole targets (see `selectsWholeTargets`) cuts each target once at providers that can
 * (an STS `aws:TokenIssueTime` deny on the role, Vault `revoke-prefix`), instead of one call per lease. Any other
 * selector never cuts: a target is shared, and cutting it would revoke other agents' credentials.
 * Returns the provider/target keys that were cut; their leases are then settled without a provider call.
 */
async function cutTargets(
  deps: CampaignRunDeps,
  campaign: Campaign,
  leases: readonly Lease[],
  hooks: CampaignHooks,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const { id: campaignId, selector, createdAt: issuedBefore } = campaign;
  const cut = new Set<string>();
  if (!selectsWholeTargets(selector)) return cut;
  const done = new Set(await deps.campaigns.cuts(campaignId));
  const seen = new Map<string, Lease>();
  for (const l of leases) if (l.target !== null && !seen.has(cutKey(l))) seen.set(cutKey(l), l);
  for (const [k, l] of seen) {
    const provider = deps.providers.get(l.provider);
    if (!provider?.cutTarget || l.target === null || done.has(`${k}${NOT_CUT}`)) continue;
    if (!done.has(k) && !(await deps.campaigns.claimCut(campaignId, k))) {
      // Another part of the campaign is cutting this target: its outcome decides for this part's leases too.
      if ((await cutOutcome(deps, campaignId, k, signal)) === "cut") cut.add(k);
      continue;
    }
    if (!done.has(k)) {
      const timeout = AbortSignal.timeout(deps.cutTimeoutMs);
      // A failed cut must not hold the campaign up: the target's leases are then revoked one by one, with retries.
      const whole = await provider
        .cutTarget({ target: l.target, issuedBefore }, signal ? AbortSignal.any([signal, timeout]) : timeout)
        .catch((error: Error) => {
          if (l.target !== null) hooks.cutFailed?.(l.provider, l.target, error);
          return false;
        });
      if (!whole) {
        // Stopped mid-cut: ask again on the next run rather than settle for per-lease revocation.
        if (signal?.aborted) break;
        await deps.campaigns.recordCut(campaignId, `${k}${NOT_CUT}`);
        continue;
      }
      await deps.campaigns.recordCut(campaignId, k);
      await deps.audit.append({
        type: "revocation.target_cut",
        actor: null,
        outcome: "warning",
        detail: { campaign: campaignId, provider: l.provider, target: l.target, issued_before: issuedBefore },
      });
    }
    cut.add(k);
  }
  return cut;
}

/** How often a part waiting for another part's cut looks for its outcome. */
const CUT_POLL_MS = 50;

/**
 * Waits for the outcome of a cut another run claimed, as long as that cut may take; none by then (that run died
 * mid-cut) counts as not cut, and this part's leases are revoked one by one.
 */
async function cutOutcome(
  deps: CampaignRunDeps,
  campaignId: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<"cut" | "not_cut"> {
  const until = deps.clock.now() + deps.cutTimeoutMs + 1_000;
  while (deps.clock.now() < until && !signal?.aborted) {
    const done = new Set(await deps.campaigns.cuts(campaignId));
    if (done.has(key)) return "cut";
    if (done.has(`${key}${NOT_CUT}`)) return "not_cut";
    await sleepOn(deps.clock, CUT_POLL_MS, signal).catch(() => undefined);
  }
  return "not_cut";
}

function isCut(cut: ReadonlySet<string>, lease: Lease): boolean {
  return cut.has(cutKey(lease));
}
