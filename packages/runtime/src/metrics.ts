import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The API's metrics. Gauges that need Redis are filled by `collect` at scrape time, so they cost nothing per request. */
export function apiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "leash_api_" });
  return {
    registry,
    issueRequests: new Counter({
      name: "leash_issue_requests_total",
      help: "Credential requests by provider and outcome (issued, replayed, approval, denied, error).",
      labelNames: ["provider", "outcome"] as const,
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
