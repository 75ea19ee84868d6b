import { quotaTotals } from "@leash/core";
import type { RouteRegistrar } from "../context.js";

/** Prometheus exposition. Counts only, never identities or secrets; open like /healthz (scrapers carry no JWT). */
export const registerMetrics: RouteRegistrar = (app, ctx) => {
  app.get("/metrics", async (c) => {
    const m = ctx.metrics;
    try {
      const gauges = await ctx.store.leases.gauges();
      m.liveLeases.reset();
      for (const [provider, n] of Object.entries(gauges.liveByProvider)) m.liveLeases.set({ provider }, n);
      m.revokeFailed.set(gauges.revokeFailed);
      for (const { quota, usage } of await quotaTotals(ctx.broker)) {
        if (quota.maxLive !== undefined) {
          m.quotaUsage.set({ quota: quota.id, limit: "max_live" }, usage.live);
          m.quotaLimit.set({ quota: quota.id, limit: "max_live" }, quota.maxLive);
        }
        if (quota.maxPerMinute !== undefined) {
          // A per-agent quota keeps each agent's window only: no total to report, its limit still is.
          if (!quota.perAgent)
            m.quotaUsage.set({ quota: quota.id, limit: "max_per_minute" }, usage.perMinute);
          m.quotaLimit.set({ quota: quota.id, limit: "max_per_minute" }, quota.maxPerMinute);
        }
      }
      const queues = await ctx.producers.stats();
      for (const { queue, state, count } of queues.jobs) m.queueJobs.set({ queue, state }, count);
      for (const [queue, paused] of Object.entries(queues.paused))
        m.queuePaused.set({ queue }, paused ? 1 : 0);
    } catch {
      // Redis down: the process metrics still answer; readiness reports the outage.
    }
    const stats = ctx.policyStats();
    if (stats) {
      m.policyReloads.set({ result: "ok" }, stats.reloads);
      m.policyReloads.set({ result: "rejected" }, stats.reloadErrors);
    }
    return c.text(await m.registry.metrics(), 200, { "content-type": m.registry.contentType });
  });
};
