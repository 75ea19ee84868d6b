import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RedisClient } from "./connection.js";
import { type Durability, durableRunner } from "./durable.js";

const FILES = {
  createPending: "create_pending",
  createActive: "create_active",
  activate: "activate",
  abort: "abort",
  requestRevocation: "request_revocation",
  settle: "settle",
  settleMany: "settle_many",
  campaignProgress: "campaign_progress",
  sweepLeases: "sweep_leases",
  sweepTasks: "sweep_tasks",
  sweepCampaigns: "sweep_campaigns",
  revokeFailed: "revoke_failed",
  claimDue: "claim_due",
  createTask: "create_task",
  endTask: "end_task",
  narrowFence: "narrow_fence",
  narrowTask: "narrow_task",
  suspendAgent: "suspend_agent",
  liftSuspension: "lift_suspension",
  approvalDecide: "approval_decide",
  approvalRedeem: "approval_redeem",
  approvalRelease: "approval_release",
  breakGlassClose: "break_glass_close",
  auditAppend: "audit_append",
  reevalBegin: "reeval_begin",
  reevalRead: "reeval_read",
  reevalDeny: "reeval_deny",
  reevalAdvance: "reeval_advance",
  reevalComplete: "reeval_complete",
  policySetPut: "policy_set_put",
  gatewayRecord: "gateway_record",
  gatewayPing: "gateway_ping",
  gatewayTraffic: "gateway_traffic",
  oauthRevoked: "oauth_revoked",
  wholeComplete: "whole_complete",
  anchorAppend: "anchor_append",
  quotaReserve: "quota_reserve",
  quotaSeed: "quota_seed",
} as const;

export type ScriptName = keyof typeof FILES;

/**
 * The writes Leash acknowledges to a caller (a task registered or ended, a lease written ahead or activated, a
 * revocation ordered): with `LEASH_REDIS_WAIT_REPLICAS` they return only once replicas hold them, so a failover
 * cannot undo what a caller was told. The worker's own writes are replayed from the deadline index if lost.
 */
const ACKNOWLEDGED: ReadonlySet<ScriptName> = new Set([
  "createTask",
  "endTask",
  "narrowFence",
  "narrowTask",
  "suspendAgent",
  "liftSuspension",
  "createPending",
  "createActive",
  "quotaReserve",
  "activate",
  "requestRevocation",
  // A gateway lease is confirmed revoked once its revocation is recorded: a failover must not undo that.
  "gatewayRecord",
  // As for the gateway: an access token is confirmed revoked once resource servers can learn it.
  "oauthRevoked",
]);

export type ScriptReply = string | number | null | ScriptReply[];
export type ScriptRunner = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<ScriptReply>;
export type Scripts = Record<ScriptName, ScriptRunner>;

export interface LuaScript {
  lua: string;
  sha: string;
}

/** A script's text, with each `--@include <name>` line replaced by `lua/lib/<name>.lua` (Redis has no modules). */
function readScript(name: ScriptName): LuaScript {
  const source = readFileSync(new URL(`./lua/${FILES[name]}.lua`, import.meta.url), "utf8");
  const lua = source.replace(/^--@include ([a-z_]+)$/gm, (_, lib: string) =>
    readFileSync(new URL(`./lua/lib/${lib}.lua`, import.meta.url), "utf8"),
  );
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

const read = new Map<ScriptName, LuaScript>();
const scriptOf = (name: ScriptName): LuaScript => {
  const known = read.get(name);
  if (known) return known;
  const script = readScript(name);
  read.set(name, script);
  return script;
};

/** Registers one script on a connection (EVALSHA with a transparent EVAL fallback, via ioredis). */
export function loadScript(redis: RedisClient, name: ScriptName): ScriptRunner {
  const command = `leash_${name}`;
  redis.defineCommand(command, { lua: scriptOf(name).lua });
  const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<ScriptReply>>)[
    command
  ];
  if (!fn) throw new Error(`script ${command} not registered`);
  return (keys, args) => fn.call(redis, keys.length, ...keys, ...args);
}

/**
 * Registers every Lua script on a connection, the only way Leash loads Lua (each from `lua/<name>.lua`). Every key
 * a script touches is passed in KEYS (the count goes with each call, since some scripts take a list), so Redis
 * Cluster can route and check each call as one slot.
 */
export function loadScripts(redis: RedisClient, durability?: Durability): Scripts {
  const durable = durability && durability.replicas > 0 ? durableRunner(redis, durability) : undefined;
  const entries = (Object.keys(FILES) as ScriptName[]).map((name) => {
    const plain = loadScript(redis, name);
    const runner: ScriptRunner =
      durable && ACKNOWLEDGED.has(name) ? (keys, args) => durable(scriptOf(name), keys, args) : plain;
    return [name, runner] as const;
  });
  return Object.fromEntries(entries) as Scripts;
}
