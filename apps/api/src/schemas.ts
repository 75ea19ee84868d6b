import { z } from "@hono/zod-openapi";

export { Intent } from "@leash/core";

import {
  Ceiling,
  CeilingIntent,
  Intent,
  type Lease,
  LeaseState,
  observedState,
  ProviderName,
  quotaWire,
  type Task,
  TaskState,
} from "@leash/core";

const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "1-128 characters of letters, digits and _ . : -");
const Time = z.string().openapi({ format: "date-time", example: "2026-11-23T10:00:00.000Z" });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    request_id: z.string(),
    reasons: z.array(z.string()).optional(),
    quota: z.string().optional().openapi({
      description: "On quota_exceeded: the quota's id, or `task:<task id>` for a task's quota",
    }),
    limit: z.enum(["max_live", "max_per_minute", "max_issued"]).optional().openapi({
      description: "On quota_exceeded: the limit that is reached",
    }),
    max: z.number().int().optional().openapi({ description: "On quota_exceeded: the limit's value" }),
  })
  .openapi("Problem");

const QuotaLimit = z.number().int().min(1).max(1_000_000_000);

/** A task's own quota: on its leases and its descendants'. A sub-task's may only be lower than its ancestors'. */
const TaskQuota = z
  .strictObject({ max_live: QuotaLimit.optional(), max_issued: QuotaLimit.optional() })
  .refine((q) => q.max_live !== undefined || q.max_issued !== undefined, "set max_live, max_issued or both")
  .openapi("TaskQuota", {
    description:
      "Limits on the leases of the task and every task descending from it: `max_live` (pending, active, revoking, revoke_failed) and `max_issued` (written ahead and not aborted). A sub-task may set only lower ones.",
  });

export const TaskCreateBody = z
  .strictObject({
    id: Id.optional(),
    agent: z.string().min(1).max(512),
    ceiling: Ceiling,
    ttl_seconds: z.number().int().min(1),
    parent_id: Id.optional(),
    labels: z
      .record(z.string().max(64), z.string().max(256))
      .refine((r) => Object.keys(r).length <= 32, "at most 32 labels")
      .optional(),
    quota: TaskQuota.optional(),
  })
  .openapi("TaskCreate");

export const TaskView = z
  .object({
    id: z.string(),
    agent: z.string(),
    ceiling: Ceiling,
    effective_ceiling: z.array(CeilingIntent).openapi({
      description:
        "The ceiling requests are checked against: this task's own intersected with every ancestor's (narrowing a task narrows what it delegated)",
    }),
    ttl_seconds: z.number().int(),
    parent_id: z.string().nullable(),
    depth: z.number().int(),
    labels: z.record(z.string(), z.string()),
    state: TaskState,
    created_by: z.string(),
    created_at: Time,
    deadline: Time,
    ended_at: Time.nullable(),
    leases: z.record(z.string(), z.number().int()),
    quota: TaskQuota.nullable(),
    quota_usage: z.object({ live: z.number().int(), issued: z.number().int() }).nullable().openapi({
      description:
        "With a quota: the live and issued leases it counts (this task's and its descendants'); null without one",
    }),
  })
  .openapi("Task");

export function taskView(
  task: Task,
  counts: Partial<Record<LeaseState, number>> = {},
  quotaUsage: { live: number; issued: number } | null = null,
  effectiveCeiling: CeilingIntent[] = task.ceiling,
): z.infer<typeof TaskView> {
  return {
    id: task.id,
    agent: task.agent,
    ceiling: task.ceiling,
    effective_ceiling: effectiveCeiling,
    ttl_seconds: task.ttlSeconds,
    parent_id: task.parentId,
    depth: task.depth,
    labels: task.labels,
    state: task.state,
    created_by: task.createdBy,
    created_at: iso(task.createdAt) ?? "",
    deadline: iso(task.deadline) ?? "",
    ended_at: iso(task.endedAt),
    leases: counts as Record<string, number>,
    quota: task.quota ? quotaWire(task.quota) : null,
    quota_usage: task.quota ? quotaUsage : null,
  };
}

export const TaskEnded = z
  .object({ id: z.string(), state: TaskState, revoking: z.number().int() })
  .openapi("TaskEnded");

export const LeaseCreateBody = z
  .strictObject({
    task_id: Id,
    provider: ProviderName,
    target: z.string().min(1).max(2048).optional(),
    intent: Intent,
    ttl_seconds: z.number().int().min(1).optional(),
  })
  .openapi("LeaseCreate");

export const LeaseCreated = z
  .object({
    lease_id: z.string(),
    task_id: z.string(),
    provider: ProviderName,
    state: z.literal("active"),
    issued_at: Time,
    expires_at: Time,
    scope: z.array(z.string()),
    credential: z.record(z.string(), z.unknown()),
  })
  .openapi("LeaseCreated");

export const LeaseView = z
  .object({
    lease_id: z.string(),
    task_id: z.string(),
    agent: z.string(),
    provider: ProviderName,
    target: z.string().nullable(),
    intent: Intent,
    scope: z.array(z.string()),
    // As a reader sees it now: a lease past `expires_at` is `expired`, never `active`.
    state: LeaseState,
    confirmed: z.boolean().optional().openapi({
      description:
        "With `expired` only: false while the lease is just past its expiry, true once the worker has ended it",
    }),
    issued_at: Time,
    expires_at: Time,
    revoked_at: Time.nullable(),
    revoke_reason: z.string().nullable(),
    break_glass: z.boolean(),
  })
  .openapi("Lease");

/** `now` comes from the injected clock: a lease past its expiry reads `expired` (see `observedState`). */
export function leaseView(lease: Lease, now: number): z.infer<typeof LeaseView> {
  return {
    lease_id: lease.id,
    task_id: lease.taskId,
    agent: lease.agent,
    provider: lease.provider,
    target: lease.target,
    intent: lease.intent,
    scope: lease.scope,
    ...observedState(lease, now),
    issued_at: iso(lease.issuedAt) ?? "",
    expires_at: iso(lease.expiresAt) ?? "",
    revoked_at: iso(lease.revokedAt),
    revoke_reason: lease.revokeReason,
    break_glass: lease.breakGlass,
  };
}

export const LeaseList = z
  .object({ items: z.array(LeaseView), next_cursor: z.string().nullable() })
  .openapi("LeaseList");

export const Selector = z
  .strictObject({
    agent: z.string().min(1).optional(),
    agent_prefix: z.string().min(1).optional(),
    task_id: Id.optional(),
    provider: ProviderName.optional(),
    target: z.string().min(1).optional(),
    issued_before: Time.pipe(z.iso.datetime({ offset: true })).optional(),
    all: z.literal(true).optional(),
    include_delegated: z.boolean().optional().openapi({
      description:
        "With agent or agent_prefix: also the leases of every task descending, at any depth, from the matching agents' tasks (their delegates'). Default true.",
    }),
  })
  .refine(
    // include_delegated only widens an agent criterion; alone it must not select everything.
    (s) => Object.keys(s).some((k) => k !== "include_delegated"),
    'the selector needs at least one criterion (use {"all": true} for everything)',
  )
  .openapi("RevocationSelector");

export const RevocationBody = z
  .strictObject({ selector: Selector, reason: z.string().min(1).max(500), dry_run: z.boolean().optional() })
  .openapi("RevocationCreate");

export const RevocationView = z
  .object({
    id: z.string(),
    state: z.enum(["running", "done", "failed"]),
    matched: z.number().int(),
    ordered: z.number().int(),
    revoked: z.number().int(),
    failed: z.number().int(),
    reason: z.string(),
    created_at: Time,
  })
  .openapi("Revocation");

export const RevocationPreview = z
  .object({
    matched: z.number().int(),
    by_provider: z.record(z.string(), z.number().int()),
    by_agent: z.record(z.string(), z.number().int()),
  })
  .openapi("RevocationPreview");

export const IdParam = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });

export const errorResponses = {
  400: { description: "Invalid request", content: { "application/problem+json": { schema: Problem } } },
  401: {
    description: "Missing or invalid workload identity",
    content: { "application/problem+json": { schema: Problem } },
  },
  403: { description: "Not allowed", content: { "application/problem+json": { schema: Problem } } },
  404: { description: "Not found", content: { "application/problem+json": { schema: Problem } } },
  409: { description: "Conflict", content: { "application/problem+json": { schema: Problem } } },
  429: {
    description:
      "rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known",
    content: { "application/problem+json": { schema: Problem } },
  },
  503: {
    description: "Unavailable (fail closed)",
    content: { "application/problem+json": { schema: Problem } },
  },
} as const;

export const bearer = [{ bearer: [] }];

export const PendingApproval = z
  .object({ approval_id: z.string(), state: z.literal("pending_approval"), expires_at: Time })
  .openapi("PendingApproval");
