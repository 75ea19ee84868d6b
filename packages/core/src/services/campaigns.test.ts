import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../audit.js";
import type { Campaign, CampaignStore, NewCampaign } from "../campaign.js";
import type { Lease, ProviderName } from "../lease.js";
import type { LeaseSelector, RevocationRequest, RevokeOrder } from "../ports.js";
import type { CredentialProvider, TargetCut } from "../provider.js";
import { type CampaignRunDeps, runCampaign, selectsWholeTargets, startCampaign } from "./campaigns.js";

const NOW = Date.UTC(2026, 0, 1);

function lease(id: string, agent: string, target: string): Lease {
  return {
    id,
    taskId: "tk_1",
    agent,
    provider: "vault",
    target,
    intent: { action: "read", resource: "secret/a" },
    scope: [],
    state: "active",
    issuedAt: NOW - 1_000,
    expiresAt: NOW + 60_000,
    revokedAt: null,
    revokeReason: null,
    handle: null,
    providerExpiresAt: null,
    breakGlass: false,
  };
}

/** Just enough of the stores, the queue and a provider that can cut a target wholesale, in memory. */
function world(leases: Lease[]) {
  const byId = new Map(leases.map((l) => [l.id, l]));
  const campaigns = new Map<string, { c: Campaign; targets: string[]; cuts: Set<string> }>();
  const cuts: TargetCut[] = [];
  const revokeJobs: RevokeOrder[] = [];
  const audit: AuditEvent[] = [];
  const matches = (s: LeaseSelector, l: Lease) =>
    (s.agent === undefined || l.agent === s.agent) &&
    (s.target === undefined || l.target === s.target) &&
    (s.provider === undefined || l.provider === s.provider);
  const end = (id: string) => {
    const l = byId.get(id);
    if (l) byId.set(id, { ...l, state: "revoked" });
  };
  const store: CampaignStore = {
    async create(c: NewCampaign, targets) {
      campaigns.set(c.id, {
        c: { ...c, ordered: 0, revoked: 0, failed: 0, state: "running", completedAt: null },
        targets: [...targets],
        cuts: new Set(),
      });
    },
    get: async (id) => campaigns.get(id)?.c ?? null,
    unfinished: async () => [],
    targets: async (id, from, count) => campaigns.get(id)?.targets.slice(from, from + count) ?? [],
    async advance(id, ordered) {
      const entry = campaigns.get(id);
      if (entry) entry.c = { ...entry.c, ordered };
      return false;
    },
    ended: async () => false,
    failing: async () => undefined,
    cuts: async (id) => [...(campaigns.get(id)?.cuts ?? [])],
    async recordCut(id, entry) {
      campaigns.get(id)?.cuts.add(entry);
    },
    async claimCut(id, entry) {
      const claim = `claim ${entry}`;
      const taken = campaigns.get(id)?.cuts.has(claim) ?? true;
      campaigns.get(id)?.cuts.add(claim);
      return !taken;
    },
  };
  const vault: CredentialProvider = {
    name: "vault",
    maxTtlSeconds: () => undefined,
    validate: () => undefined,
    mint: () => Promise.reject(new Error("not used")),
    revoke: () => Promise.resolve({}),
    reclaim: () => Promise.resolve(),
    async cutTarget(cut) {
      cuts.push(cut);
      for (const l of byId.values()) if (l.target === cut.target) end(l.id);
      return true;
    },
  };
  const deps: CampaignRunDeps = {
    leases: {
      selectLive: async (s) => [...byId.values()].filter((l) => l.state === "active" && matches(s, l)),
      getMany: async (ids) => ids.flatMap((id) => byId.get(id) ?? []),
      async settleMany(orders: readonly RevocationRequest[]) {
        for (const o of orders) end(o.leaseId);
        return orders.map((o) => o.leaseId);
      },
      requestRevocation: async (orders) => orders.map((o) => o.leaseId),
    },
    campaigns: store,
    queue: {
      startCampaign: async () => undefined,
      async revoke(orders) {
        revokeJobs.push(...orders);
      },
    },
    audit: {
      async append(event) {
        audit.push(event);
      },
    },
    clock: { now: () => NOW },
    providers: new Map<ProviderName, CredentialProvider>([["vault", vault]]),
    cutTimeoutMs: 1_000,
  };
  return { deps, byId, cuts, revokeJobs, audit };
}

describe("campaigns", () => {
  it("a selector naming only a target cuts it once at the provider, and settles its leases", async () => {
    const w = world([lease("ls_1", "a", "db"), lease("ls_2", "b", "db")]);
    const campaign = await startCampaign(w.deps, "sec", { target: "db" }, "leak");
    expect(campaign.matched).toBe(2);
    expect(w.audit.map((e) => e.type)).toEqual(["revocation.ordered"]);
    expect(await runCampaign(w.deps, campaign.id)).toEqual({ kind: "ordered", ordered: 2, matched: 2 });
    expect(w.cuts).toEqual([{ target: "db", issuedBefore: NOW }]);
    expect(w.revokeJobs).toEqual([]);
  });

  it("a target another part of the campaign claimed is cut by that part only: this one takes its outcome", async () => {
    const w = world([lease("ls_1", "a", "db"), lease("ls_2", "b", "db")]);
    const campaign = await startCampaign(w.deps, "sec", { target: "db" }, "leak");
    const key = "vault\u0000db";
    // Another shard's part claimed the cut and records its outcome while this part waits.
    expect(await w.deps.campaigns.claimCut(campaign.id, key)).toBe(true);
    const other = setTimeout(() => void w.deps.campaigns.recordCut(campaign.id, key), 120);
    const realClock = { now: () => Date.now() };
    await runCampaign({ ...w.deps, clock: realClock }, campaign.id);
    clearTimeout(other);
    expect(w.cuts).toEqual([]);
    expect(w.revokeJobs).toEqual([]);
    expect([...w.byId.values()].map((l) => l.state)).toEqual(["revoked", "revoked"]);
  });

  it("a selector naming a target and an agent revokes that agent's leases one by one, never the whole target", async () => {
    const w = world([lease("ls_1", "a", "db"), lease("ls_2", "b", "db")]);
    const campaign = await startCampaign(w.deps, "sec", { target: "db", agent: "a" }, "leak");
    expect(campaign.matched).toBe(1);
    await runCampaign(w.deps, campaign.id);
    expect(w.cuts).toEqual([]);
    expect(w.revokeJobs.map((o) => o.leaseId)).toEqual(["ls_1"]);
    expect(w.byId.get("ls_2")?.state).toBe("active");
  });

  it("only a target or `all`, with at most a provider, selects whole targets", () => {
    expect(selectsWholeTargets({ target: "db" })).toBe(true);
    expect(selectsWholeTargets({ target: "db", provider: "vault" })).toBe(true);
    expect(selectsWholeTargets({ all: true })).toBe(true);
    expect(selectsWholeTargets({ all: true, agent: "a" })).toBe(false);
    expect(selectsWholeTargets({ target: "db", agentPrefix: "spiffe://t/" })).toBe(false);
    expect(selectsWholeTargets({ target: "db", taskId: "tk_1" })).toBe(false);
    expect(selectsWholeTargets({ target: "db", issuedBefore: NOW })).toBe(false);
    expect(selectsWholeTargets({ agent: "a" })).toBe(false);
  });

  it("an aborted signal leaves the work for the next run, from the saved cursor", async () => {
    const w = world([lease("ls_1", "a", "db")]);
    const campaign = await startCampaign(w.deps, "sec", { agent: "a" }, "leak");
    const stop = new AbortController();
    stop.abort();
    expect(await runCampaign(w.deps, campaign.id, {}, stop.signal)).toEqual({
      kind: "paused",
      ordered: 0,
      matched: 1,
    });
    expect(await runCampaign(w.deps, campaign.id)).toMatchObject({ kind: "ordered", ordered: 1 });
    expect(w.revokeJobs.map((o) => o.leaseId)).toEqual(["ls_1"]);
  });

  it("a campaign that does not exist is reported missing", async () => {
    expect(await runCampaign(world([]).deps, "rv_none")).toEqual({ kind: "missing" });
  });
});
