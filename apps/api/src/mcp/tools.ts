import {
  type BrokerDeps,
  Intent,
  issueLease,
  LeaseState,
  LeashError,
  ProviderName,
  returnLease,
} from "@leash/core";
import { leashGrantOf } from "@leash/resource-kit";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { issuedView } from "../issued-view.js";
import { observeIssue } from "../observe-issue.js";
import { leaseView } from "../schemas.js";
import { agentCaller, taskOf } from "./caller.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What list_leases returns at most: an agent holds a handful of live leases; the rest is history. */
const LIST_MAX = 500;

export const requestCredentialInput = {
  task_id: z.string().min(1).max(256).optional().describe("The task; by default the token's task"),
  provider: ProviderName.optional().describe(
    "Where the credential comes from; by default the gateway when target names one of its upstreams, else leash-jwt",
  ),
  target: z.string().min(1).max(2048).optional().describe("Role alias, Vault role or gateway upstream"),
  intent: Intent.describe("One action on one resource (or a prefix ending in '/')"),
  ttl_seconds: z.number().int().positive().optional(),
};

export const listLeasesInput = {
  task_id: z.string().min(1).max(256).optional().describe("The task; by default the token's task"),
  state: LeaseState.optional(),
};

export const returnCredentialInput = { lease_id: z.string().min(1).max(256) };

type Args<S extends Record<string, z.ZodType>> = z.infer<z.ZodObject<S>>;

/** A gateway lease where the target is one of the gateway's upstreams, so the agent gets a base_url, not a secret. */
function providerFor(broker: BrokerDeps, target: string | undefined, intent: Intent): ProviderName {
  const gateway = broker.providers.get("gateway");
  if (!gateway || target === undefined) return "leash-jwt";
  try {
    gateway.validate(target, intent);
  } catch (error) {
    if (error instanceof LeashError && error.code === "unknown_target") return "leash-jwt";
  }
  return "gateway";
}

export async function requestCredential(
  ctx: ApiContext,
  args: Args<typeof requestCredentialInput>,
  extra: Extra,
) {
  const grant = leashGrantOf(extra);
  const caller = agentCaller(ctx, grant);
  const provider = args.provider ?? providerFor(ctx.broker, args.target, args.intent);
  const request = {
    taskId: taskOf(grant, args.task_id),
    provider,
    target: args.target,
    intent: args.intent,
    ttlSeconds: args.ttl_seconds,
  };
  const outcome = await observeIssue(ctx, provider, () =>
    issueLease(ctx.broker, caller, request, undefined, { signal: extra.signal }),
  );
  return issuedView(outcome).body;
}

export async function listLeases(ctx: ApiContext, args: Args<typeof listLeasesInput>, extra: Extra) {
  const grant = leashGrantOf(extra);
  agentCaller(ctx, grant);
  const now = ctx.broker.clock.now();
  const query = {
    agent: grant.agent,
    taskId: taskOf(grant, args.task_id),
    state: args.state,
    at: now,
    limit: 100,
  };
  const items: ReturnType<typeof leaseView>[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.leases.list({ ...query, cursor });
    items.push(...page.items.map((lease) => leaseView(lease, now)));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < LIST_MAX);
  return { items: items.slice(0, LIST_MAX) };
}

export async function returnCredential(
  ctx: ApiContext,
  args: Args<typeof returnCredentialInput>,
  extra: Extra,
) {
  const caller = agentCaller(ctx, leashGrantOf(extra));
  const lease = await returnLease(ctx.broker, caller, args.lease_id);
  return { lease_id: lease.id, state: leaseView(lease, ctx.broker.clock.now()).state };
}
