import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The API's metrics. Gauges that need Redis are filled by `collect` at scrape time, so they cost nothing per request. */
export function apiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "leash_api_" });
  return {
    registry,
    issueRequests: new Counter({
      name: "leash_issue_requests_total",
      help: "Credential requests by provider and outcome (issued, replayed, approval, denied, quota_exceeded, error).",
      labelNames: ["provider", "outcome"] as const,
      registers: [registry],
    }),
    settledAtTaskEnd: new Counter({
      name: "leash_task_end_settled_total",
      help: "Leases revoked in the store (task tokens) that their task's end ended at once, receipts written, without a revoke job (the worker's leash_revocations_total counts the others).",
      registers: [registry],
    }),
    issueDuration: new Histogram({
      name: "leash_issue_duration_seconds",
      help: "Time to decide, record, mint and activate a lease.",
      labelNames: ["provider"] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    breakGlassLeases: new Counter({
      name: "leash_break_glass_leases_total",
      help: "Leases issued under a break-glass grant.",
      registers: [registry],
    }),
    liveLeases: new Gauge({
      name: "leash_live_leases",
      help: "Leases in a live state (pending, active, revoking, revoke_failed) by provider.",
      labelNames: ["provider"] as const,
      registers: [registry],
    }),
    revokeFailed: new Gauge({
      name: "leash_revoke_failed_leases",
      help: "Leases whose revocation keeps failing at the provider (retrying). Alert when above 0 for long.",
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: "leash_queue_jobs",
      help: "Jobs by queue and state (a paused queue's jobs count as waiting).",
      labelNames: ["queue", "state"] as const,
      registers: [registry],
    }),
    queuePaused: new Gauge({
      name: "leash_queue_paused",
      help: "1 while the queue is paused: its jobs wait and no worker takes them.",
      labelNames: ["queue"] as const,
      registers: [registry],
    }),
    quotaUsage: new Gauge({
      name: "leash_quota_usage",
      help: "What each trust-file quota counts now, by limit: live leases (over all agents for a per-agent quota), or write-aheads of the last minute (shared pools only: a per-agent quota keeps each agent's window).",
      labelNames: ["quota", "limit"] as const,
      registers: [registry],
    }),
    quotaLimit: new Gauge({
      name: "leash_quota_limit",
      help: "Each trust-file quota's limit (per agent for a per-agent quota).",
      labelNames: ["quota", "limit"] as const,
      registers: [registry],
    }),
    quotaRefusals: new Counter({
      name: "leash_quota_refusals_total",
      help: "Requests refused with 429 quota_exceeded, by quota id (`task` for every task's own quota) and limit.",
      labelNames: ["quota", "limit"] as const,
      registers: [registry],
    }),
    policyReloads: new Gauge({
      name: "leash_policy_reloads",
      help: "Policy set reloads since start, by result.",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
}
export type ApiMetrics = ReturnType<typeof apiMetrics>;

/** The worker's metrics, served on LEASH_WORKER_METRICS_PORT. */
export function workerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "leash_worker_" });
  return {
    registry,
    revocationLatency: new Histogram({
      name: "leash_revocation_latency_seconds",
      help: "From the revocation order (task end, return, campaign, expiry) to the provider's confirmation.",
      labelNames: ["provider"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    revocations: new Counter({
      name: "leash_revocations_total",
      help: "Revocation job outcomes by provider.",
      labelNames: ["provider", "outcome"] as const,
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: "leash_job_failures_total",
      help: "Failed job attempts by queue (revocations retry until they succeed).",
      labelNames: ["queue"] as const,
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof workerMetrics>;

/** The gateway's metrics, served at its own `GET /metrics`. Labels are bounded: upstream names come from config. */
export function gatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "leash_gateway_" });
  return {
    registry,
    requests: new Counter({
      name: "leash_gateway_requests_total",
      help: "Requests by upstream and outcome (relayed, refused, cut, failed).",
      labelNames: ["upstream", "outcome"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "leash_gateway_request_duration_seconds",
      help: "From the request's arrival to the end of its response, relayed or refused.",
      labelNames: ["upstream"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    overhead: new Histogram({
      name: "leash_gateway_overhead_seconds",
      help: "The gateway's own work before a request leaves for its upstream: checks and the credential.",
      labelNames: ["upstream"] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1],
      registers: [registry],
    }),
    bytes: new Counter({
      name: "leash_gateway_bytes_total",
      help: "Body bytes relayed, by upstream and direction (in: agent to upstream, out: upstream to agent).",
      labelNames: ["upstream", "direction"] as const,
      registers: [registry],
    }),
    refusals: new Counter({
      name: "leash_gateway_refusals_total",
      help: "Requests the gateway answered itself, by reason (unauthenticated, outside_intent, lease_not_live, ...).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    cuts: new Counter({
      name: "leash_gateway_cuts_total",
      help: "Responses cut while in flight, by reason (lease_not_live, gateway_unavailable, secret_in_body, ...).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    auditBacklog: new Gauge({
      name: "leash_gateway_audit_backlog",
      help: "gateway.request events waiting to be appended to the audit log.",
      registers: [registry],
    }),
    auditFlush: new Histogram({
      name: "leash_gateway_audit_flush_seconds",
      help: "Time to append one batch of gateway.request events (off the request path).",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    auditOverflow: new Counter({
      name: "leash_gateway_audit_overflow_total",
      help: "Requests refused (503) without an audit event because the backlog was full: nothing unaudited is relayed.",
      registers: [registry],
    }),
  };
}
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
