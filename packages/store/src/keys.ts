import { createHash } from "node:crypto";

/**
 * Every key starts with the configured prefix, which carries one hash tag (default `leash:{leash}:`), so every key a
 * script touches lives in the same Redis Cluster slot. Index zsets use score 0 and order by member: lease ids
 * begin with their issue time in base36, so lexicographic order is time order (see core/ids.ts).
 */
export interface Keyspace {
  prefix: string;
  lease(id: string): string;
  task(id: string): string;
  taskLeases(taskId: string): string;
  taskChildren(taskId: string): string;
  agentLeases(agent: string): string;
  /**
   * Agent -> ids of the tasks bound to it scored by deadline (the token endpoint's "the agent's only active task").
   * Pruned when read; the key expires with the last deadline it holds.
   */
  agentTasks(agent: string): string;
  /** A DPoP proof seen (by a digest of its key thumbprint and `jti`), until its acceptance window ends. */
  dpopProof(digest: string): string;
  /**
   * The shard of a task whose id does not name it (an orchestrator chose the id), kept on shard 0; and the shard
   * map itself (see sharded/shard-map.ts).
   */
  placement(taskId: string): string;
  shardMap: string;
  /** Process id -> the shard map generation it follows and when it last said so (`<generation> <ms>`). */
  shardFollowers: string;
  /** The signed anchors that tie every shard's audit chain together, and the last one's hash, on shard 0. */
  auditAnchors: string;
  auditAnchorHead: string;
  /** The stream of ended access tokens (`jti`, `aud`, `exp`) resource servers follow (`GET /oauth/revocations`). */
  oauthRevocations: string;
  /** All leases, newest last. */
  leases: string;
  /**
   * Lease id -> epoch ms at which it must be revoked or settled (its expiry, or now after an order). Together with
   * `pending` it is exactly the set of live leases, so no separate live index is kept.
   */
  deadline: string;
  /** `pending` lease id -> epoch ms of the write-ahead. */
  pending: string;
  /** Agent -> number of its live leases (kept by the same scripts that move leases in and out of live states). */
  agentsLive: string;
  /** Provider -> number of its live leases. */
  providersLive: string;
  /**
   * Gauges kept by the scripts (e.g. `revoke_failed`), for metrics without scans; also each quota pool's live
   * count (`ql:<pool>`, removed at 0), kept by the scripts that move leases in and out of live states.
   */
  counters: string;
  /** A quota pool's write-aheads of the last minute (lease id -> ms), expiring a minute after the last one. */
  quotaRate(pool: string): string;
  /** A trust-file pool's reservations on its home shard, with several shards: lease id -> its expiry. */
  quotaHeld(pool: string): string;
  /** Active task id -> its deadline. */
  activeTasks: string;
  /**
   * Ended lease id -> epoch ms of its end (revoked, expired or aborted), task id -> its end, completed campaign id
   * -> its completion: what the retention sweep removes once older than LEASH_LEASE_RETENTION_SECONDS. Written by
   * the scripts that end them, so nothing live is ever in them.
   */
  leasesEnded: string;
  tasksEnded: string;
  campaignsEnded: string;
  idempotency(agent: string, key: string): string;
  campaign(id: string): string;
  campaignTargets(id: string): string;
  /** Leases of the campaign known ended, and those whose revocation is failing for now: sets, so replays count once. */
  campaignDone(id: string): string;
  campaignFailing(id: string): string;
  /** Targets a campaign has cut wholesale (or found it could not), so a resumed campaign does not ask again. */
  campaignCuts(id: string): string;
  campaigns: string;
  /** The hash-chained audit stream and its head hash. */
  audit: string;
  auditHead: string;
  /** The signed checkpoint holding the hash of the last event trimmed off `audit`. */
  auditCheckpoint: string;
  /**
   * Receipts written by the scripts that end leases and complete campaigns, waiting to be chained into `audit` by
   * the worker (Redis Lua cannot compute the chain's SHA-256).
   */
  auditOutbox: string;
  /** A step-up approval (JSON, expiring a day after the request), the one of a request, and all of them by time. */
  approval(id: string): string;
  approvalRequest(agent: string, requestHash: string): string;
  approvals: string;
  /** A break-glass grant by id (JSON), kept a while after it ends so it can still be read and closed. */
  breakGlass(id: string): string;
  /** Task id -> the id of its newest break-glass grant, expiring with it. */
  taskBreakGlass(taskId: string): string;
  /**
   * Agent -> ids of the sub-tasks delegated from its tasks (children whose parent task is the agent's), the entry
   * point to everything it delegated, at any depth, through `taskChildren`.
   */
  agentDelegations(agent: string): string;
  /** Agent -> its suspension (JSON); and agent -> epoch ms of its `until`, for the worker's lift. */
  suspensions: string;
  suspensionsUntil: string;
  /**
   * The pub/sub channel (not a key) on which every write of `suspensions` names the agent it changed, in the same
   * step, and which carries the API's suspension views' pings (suspension-view.ts).
   */
  suspensionsChannel: string;
  /** The prefix of every BullMQ key (queues share the hash tag, so they stay in the slot of the leases). */
  queues: string;
  /** Worker id -> epoch ms of its last heartbeat (read by the API's readiness). */
  workers: string;
  /** Gateway revocations: entry JSON scored by the epoch ms after which it no longer matters (then pruned). */
  gatewayRevocations: string;
  /** The pub/sub channel (not a key) announcing gateway revocations, and carrying the live views' pings. */
  gatewayChannel: string;
  /** A lease's gateway traffic counters, and an agent's for one UTC day (days since the epoch), expiring. */
  gatewayTrafficLease(leaseId: string): string;
  gatewayTrafficAgent(agent: string, day: number): string;
  /**
   * A key in the same slot that nothing ever writes. It stands in for an optional key argument of a script, since
   * an empty key name would hash to another slot and Redis Cluster refuses a script whose keys span slots.
   */
  none: string;
}

/**
 * Redis Cluster hashes only the part between the first `{` and the next `}` when it is not empty: the prefix must
 * carry such a tag, or keys would scatter over slots.
 */
export const HASH_TAG = /^[^{]*\{[^}]+\}/;

export const digest = (value: string) => createHash("sha256").update(value).digest("base64url").slice(0, 32);

export function keyspace(prefix: string): Keyspace {
  if (!HASH_TAG.test(prefix)) throw new Error(`Redis key prefix "${prefix}" must contain a {hash tag}`);
  return {
    prefix,
    lease: (id) => `${prefix}lease:${id}`,
    task: (id) => `${prefix}task:${id}`,
    taskLeases: (taskId) => `${prefix}task:${taskId}:leases`,
    taskChildren: (taskId) => `${prefix}task:${taskId}:children`,
    agentLeases: (agent) => `${prefix}agent:${digest(agent)}:leases`,
    agentTasks: (agent) => `${prefix}agent:${digest(agent)}:tasks`,
    dpopProof: (proof) => `${prefix}dpop:${proof}`,
    oauthRevocations: `${prefix}oauth:revocations`,
    placement: (taskId) => `${prefix}placement:${taskId}`,
    shardMap: `${prefix}shards`,
    shardFollowers: `${prefix}shards:followers`,
    auditAnchors: `${prefix}audit:anchors`,
    auditAnchorHead: `${prefix}audit:anchors:head`,
    leases: `${prefix}leases`,
    deadline: `${prefix}deadline`,
    pending: `${prefix}pending`,
    activeTasks: `${prefix}tasks:active`,
    leasesEnded: `${prefix}leases:ended`,
    tasksEnded: `${prefix}tasks:ended`,
    campaignsEnded: `${prefix}campaigns:ended`,
    agentsLive: `${prefix}agents:live`,
    providersLive: `${prefix}providers:live`,
    counters: `${prefix}counters`,
    quotaRate: (pool) => `${prefix}quota:rate:${digest(pool)}`,
    quotaHeld: (pool) => `${prefix}quota:held:${digest(pool)}`,
    idempotency: (agent, key) => `${prefix}idem:${digest(`${agent}\n${key}`)}`,
    campaign: (id) => `${prefix}campaign:${id}`,
    campaignTargets: (id) => `${prefix}campaign:${id}:targets`,
    campaignDone: (id) => `${prefix}campaign:${id}:done`,
    campaignFailing: (id) => `${prefix}campaign:${id}:failing`,
    campaignCuts: (id) => `${prefix}campaign:${id}:cuts`,
    campaigns: `${prefix}campaigns`,
    audit: `${prefix}audit`,
    auditHead: `${prefix}audit:head`,
    auditCheckpoint: `${prefix}audit:checkpoint`,
    auditOutbox: `${prefix}audit:outbox`,
    approval: (id) => `${prefix}approval:${id}`,
    approvalRequest: (agent, hash) =>
      `${prefix}approval-req:${createHash("sha256").update(`${agent}\n${hash}`).digest("base64url")}`,
    approvals: `${prefix}approvals`,
    breakGlass: (id) => `${prefix}breakglass:grant:${id}`,
    taskBreakGlass: (taskId) => `${prefix}breakglass:task:${taskId}`,
    agentDelegations: (agent) => `${prefix}agent:${digest(agent)}:delegated`,
    suspensions: `${prefix}suspensions`,
    suspensionsUntil: `${prefix}suspensions:until`,
    suspensionsChannel: `${prefix}suspensions:feed`,
    queues: `${prefix}q`,
    workers: `${prefix}workers`,
    gatewayRevocations: `${prefix}gateway:revocations`,
    gatewayChannel: `${prefix}gateway:feed`,
    gatewayTrafficLease: (id) => `${prefix}gateway:traffic:lease:${id}`,
    gatewayTrafficAgent: (agent, day) => `${prefix}gateway:traffic:agent:${digest(agent)}:${day}`,
    none: `${prefix}none`,
  };
}
