import { createRoute, z } from "@hono/zod-openapi";
import { type DeniedLease, LeashError, type Reevaluation } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { orderReevaluation, previewReevaluation } from "../reevaluations.js";
import { bearer, errorResponses, IdParam, Intent } from "../schemas.js";

const Time = z.string().openapi({ format: "date-time" });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const ReevaluationBody = z
  .strictObject({
    dry_run: z.boolean().optional(),
    policies: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.cedar$/, "a file name ending in .cedar"),
        z.string(),
      )
      .refine((files) => Object.keys(files).length > 0, "at least one policy file")
      .optional()
      .openapi({
        description:
          "With dry_run: a complete candidate policy set, file name -> Cedar text, validated against the loaded schema and used instead of the loaded set. Nothing is loaded or revoked.",
      }),
  })
  .openapi("ReevaluationCreate");

const ReevaluationSummary = z
  .object({
    id: z.string(),
    state: z.enum(["running", "done", "failed"]),
    trigger: z.enum(["reload", "request"]),
    requested_by: z.string(),
    policy_set: z.string(),
    checked: z.number().int(),
    denied: z.number().int(),
    revoked: z.number().int(),
    created_at: Time,
    completed_at: Time.nullable(),
    superseded_by: z.string().nullable().openapi({
      description: "A newer policy set was loaded while it ran; the run for that set decided the rest",
    }),
  })
  .openapi("Reevaluation");

const ByPolicy = z.record(z.string(), z.number().int()).openapi({
  description: "Denied leases by the id of each policy that denies them (or now requires approval)",
});

const ReevaluationDetail = ReevaluationSummary.extend({ by_policy: ByPolicy }).openapi("ReevaluationDetail");

const DeniedSample = z
  .object({
    lease_id: z.string(),
    agent: z.string(),
    task_id: z.string(),
    provider: z.string(),
    target: z.string().nullable(),
    intent: Intent,
    policies: z.array(z.string()),
  })
  .openapi("ReevaluationDenied");

const ReevaluationPreview = z
  .object({
    checked: z.number().int(),
    denied: z.number().int(),
    by_policy: ByPolicy,
    sample: z.array(DeniedSample).openapi({ description: "Up to 20 of the leases it would revoke" }),
  })
  .openapi("ReevaluationPreview");

const create = createRoute({
  method: "post",
  path: "/v1/reevaluations",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Decides every live lease again with the request recorded at issuance and the current policy set, task and context; the leases now denied (or now needing approval) are revoked with cause `policy_changed`. `dry_run` previews what would be revoked, optionally with a candidate set (`policies`). Every accepted policy reload starts one by itself. 409 when no policy set is loaded.",
  request: { body: { content: { "application/json": { schema: ReevaluationBody } }, required: true } },
  responses: {
    202: {
      description: "Re-evaluation started; progress at GET /v1/reevaluations/{id}",
      content: { "application/json": { schema: ReevaluationSummary } },
    },
    200: {
      description: "Dry run: what re-evaluating would revoke",
      content: { "application/json": { schema: ReevaluationPreview } },
    },
    ...errorResponses,
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/reevaluations",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description: "Re-evaluations, newest first (dry runs are not kept).",
  responses: {
    200: {
      description: "Re-evaluations",
      content: { "application/json": { schema: z.object({ items: z.array(ReevaluationSummary) }) } },
    },
    ...errorResponses,
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/reevaluations/{id}",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  request: { params: IdParam },
  responses: {
    200: {
      description: "Progress and counts by policy",
      content: { "application/json": { schema: ReevaluationDetail } },
    },
    ...errorResponses,
  },
});

function reevaluationView(r: Reevaluation): z.infer<typeof ReevaluationSummary> {
  return {
    id: r.id,
    state: r.state,
    trigger: r.trigger,
    requested_by: r.requestedBy,
    policy_set: r.policySet,
    checked: r.checked,
    denied: r.denied,
    revoked: r.revoked,
    created_at: new Date(r.createdAt).toISOString(),
    completed_at: iso(r.completedAt),
    superseded_by: r.supersededBy,
  };
}

function sampleView(d: DeniedLease): z.infer<typeof DeniedSample> {
  return {
    lease_id: d.leaseId,
    agent: d.agent,
    task_id: d.taskId,
    provider: d.provider,
    target: d.target,
    intent: d.intent as z.infer<typeof Intent>,
    policies: d.policies,
  };
}

export const registerReevaluations: RouteRegistrar = (app, ctx) => {
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const by = c.get("identity").subject;
    if (body.policies && !body.dry_run)
      throw new LeashError(
        "invalid_request",
        "policies: a candidate set is only for a dry run (dry_run: true)",
      );
    if (body.dry_run) {
      const { run, sample } = await previewReevaluation(ctx, by, body.policies, c.req.raw.signal);
      return c.json(
        { checked: run.checked, denied: run.denied, by_policy: run.byPolicy, sample: sample.map(sampleView) },
        200,
      );
    }
    return c.json(reevaluationView(await orderReevaluation(ctx, by)), 202);
  });
  app.openapi(list, async (c) => {
    const runs = await ctx.store.reevaluations.list(100);
    return c.json({ items: runs.map(reevaluationView) }, 200);
  });
  app.openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    const run = await ctx.store.reevaluations.get(id);
    if (!run || run.dryRun) throw new LeashError("not_found", `re-evaluation ${id} does not exist`);
    return c.json({ ...reevaluationView(run), by_policy: run.byPolicy }, 200);
  });
};
