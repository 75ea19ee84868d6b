import type { Intent, PolicyDecider, PolicyDecision } from "@leash/core";
import { z } from "zod";
import { CaseRequest, type Expectation, toPolicyRequest } from "./cases.js";

/**
 * The part of an audit event that a replay needs. The broker records `decision`, `obligations` (when allowed) and
 * `policy_request` on every event of a policy decision (`lease.issued`, `lease.denied`, `approval.requested`).
 */
const RecordedDecision = z.object({
  id: z.string(),
  ts: z.string(),
  type: z.string(),
  agent: z.string().optional(),
  task_id: z.string().optional(),
  lease_id: z.string().optional(),
  detail: z.object({
    decision: z.enum(["allow", "deny"]),
    obligations: z
      .object({ max_ttl_seconds: z.number().int().positive().nullable(), approval_required: z.boolean() })
      .optional(),
    reasons: z.array(z.string()).optional(),
    policy_request: z.unknown(),
  }),
});

/** Event types that come from a decision on a credential request, with or without a policy set. */
export const DECISION_EVENT_TYPES: readonly string[] = ["lease.issued", "lease.denied", "approval.requested"];

/** A decision reduced to what changes the outcome for the agent: the verdict and the TTL cap. */
export interface DecisionOutcome {
  /** `approval`: allowed once a person approves. */
  decision: Expectation;
  max_ttl_seconds: number | null;
  reasons: string[];
}

export interface DecisionChange {
  event_id: string;
  ts: string;
  type: string;
  agent: string;
  task_id: string;
  lease_id: string | null;
  intent: Intent;
  before: DecisionOutcome;
  after: DecisionOutcome & { errors: string[] };
}

export type ReplayResult =
  /** Not the record of a policy decision (another event type, or one made without a policy set). */
  | { kind: "ignored" }
  /** A decision event without a usable recorded request (a ceiling denial, or recorded by an older version). */
  | { kind: "skipped"; event_id: string; why: string }
  | { kind: "same"; event_id: string }
  | { kind: "changed"; change: DecisionChange };

export interface WhatIfReport {
  /** Recorded policy decisions replayed against the candidate set. */
  replayed: number;
  /** Decision events that could not be replayed, with why (at most the first 20 kept). */
  skipped: number;
  skippedExamples: { event_id: string; why: string }[];
  changes: DecisionChange[];
}

const SKIPPED_EXAMPLES = 20;

/** Replays one audit event's recorded policy request against `decider` and compares the outcomes. */
export function replayRecordedDecision(decider: PolicyDecider, event: unknown): ReplayResult {
  const type = typeof event === "object" && event !== null ? (event as { type?: unknown }).type : undefined;
  const id = String((event as { id?: unknown } | null)?.id ?? "?");
  const recorded = RecordedDecision.safeParse(event);
  if (!recorded.success) {
    if (typeof type !== "string" || !DECISION_EVENT_TYPES.includes(type)) return { kind: "ignored" };
    const hasRequest = (event as { detail?: { policy_request?: unknown } }).detail?.policy_request;
    const why =
      hasRequest === undefined
        ? "no policy request recorded (a ceiling decision, no policy set, or recorded before requests were)"
        : `unreadable decision record: ${z.prettifyError(recorded.error)}`;
    return { kind: "skipped", event_id: id, why };
  }
  const request = CaseRequest.safeParse(recorded.data.detail.policy_request);
  if (!request.success) {
    return {
      kind: "skipped",
      event_id: id,
      why: `unreadable policy request: ${z.prettifyError(request.error)}`,
    };
  }
  const before = recordedOutcome(recorded.data.detail);
  const decision = decider.decide(toPolicyRequest(request.data));
  const after = { ...outcomeOf(decision), errors: decision.errors };
  if (before.decision === after.decision && before.max_ttl_seconds === after.max_ttl_seconds) {
    return { kind: "same", event_id: id };
  }
  const e = recorded.data;
  return {
    kind: "changed",
    change: {
      event_id: e.id,
      ts: e.ts,
      type: e.type,
      agent: request.data.agent.id,
      task_id: request.data.task.id,
      lease_id: e.lease_id ?? null,
      intent: request.data.intent,
      before,
      after,
    },
  };
}

/** Replays every recorded policy decision of `events` (audit events, oldest first) against `decider`. */
export async function whatIf(
  decider: PolicyDecider,
  events: AsyncIterable<unknown> | Iterable<unknown>,
): Promise<WhatIfReport> {
  const report: WhatIfReport = { replayed: 0, skipped: 0, skippedExamples: [], changes: [] };
  for await (const event of events) {
    const result = replayRecordedDecision(decider, event);
    if (result.kind === "ignored") continue;
    if (result.kind === "skipped") {
      report.skipped += 1;
      if (report.skippedExamples.length < SKIPPED_EXAMPLES)
        report.skippedExamples.push({ event_id: result.event_id, why: result.why });
      continue;
    }
    report.replayed += 1;
    if (result.kind === "changed") report.changes.push(result.change);
  }
  return report;
}

function recordedOutcome(detail: z.infer<typeof RecordedDecision>["detail"]): DecisionOutcome {
  const reasons = detail.reasons ?? [];
  if (detail.decision === "deny") return { decision: "deny", max_ttl_seconds: null, reasons };
  return {
    decision: detail.obligations?.approval_required ? "approval" : "allow",
    max_ttl_seconds: detail.obligations?.max_ttl_seconds ?? null,
    reasons,
  };
}

function outcomeOf(decision: PolicyDecision): DecisionOutcome {
  if (!decision.allowed) return { decision: "deny", max_ttl_seconds: null, reasons: decision.reasons };
  return {
    decision: decision.approvalRequired ? "approval" : "allow",
    max_ttl_seconds: decision.maxTtlSeconds ?? null,
    reasons: decision.reasons,
  };
}
