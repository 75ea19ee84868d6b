import { createRoute, z } from "@hono/zod-openapi";
import { type Approval, decideApproval, issueLease, LeashError } from "@leash/core";
import type { RouteRegistrar } from "../context.js";
import { issuedView } from "../issued-view.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses, IdParam, Intent, LeaseCreated, PendingApproval } from "../schemas.js";

const ApprovalView = z
  .object({
    id: z.string(),
    state: z.enum(["pending", "approved", "denied", "expired", "redeemed"]),
    agent: z.string(),
    task_id: z.string(),
    provider: z.string(),
    target: z.string().nullable(),
    intent: Intent,
    reasons: z.array(z.string()),
    created_at: z.string(),
    expires_at: z.string(),
    decided_by: z.string().nullable(),
    lease_id: z.string().nullable(),
  })
  .openapi("Approval");

function view(a: Approval): z.infer<typeof ApprovalView> {
  return {
    id: a.id,
    state: a.state,
    agent: a.agent,
    task_id: a.taskId,
    provider: a.provider,
    target: a.target,
    intent: a.intent,
    reasons: a.reasons,
    created_at: new Date(a.createdAt).toISOString(),
    expires_at: new Date(a.expiresAt).toISOString(),
    decided_by: a.decidedBy,
    lease_id: a.leaseId,
  };
}

const list = createRoute({
  method: "get",
  path: "/v1/approvals",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  request: {
    query: z.strictObject({
      state: ApprovalView.shape.state.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: {
      description: "Step-up requests, newest first",
      content: { "application/json": { schema: z.object({ items: z.array(ApprovalView) }) } },
    },
    ...errorResponses,
  },
});

const decide = (verdict: "approve" | "deny") =>
  createRoute({
    method: "post",
    path: `/v1/approvals/{id}/${verdict}`,
    tags: ["security"],
    security: bearer,
    middleware: [requireRole("security")] as const,
    description:
      "Decide a pending step-up request. Nobody decides on their own request; a decision is final.",
    request: { params: IdParam },
    responses: {
      200: { description: "Decided", content: { "application/json": { schema: ApprovalView } } },
      ...errorResponses,
    },
  });

const redeem = createRoute({
  method: "post",
  path: "/v1/approvals/{id}/redeem",
  tags: ["leases"],
  security: bearer,
  description:
    "The agent collects the lease of an approved request (the same as retrying the original request).",
  request: { params: IdParam },
  responses: {
    201: { description: "Issued", content: { "application/json": { schema: LeaseCreated } } },
    202: { description: "Still waiting", content: { "application/json": { schema: PendingApproval } } },
    ...errorResponses,
  },
});

export const registerApprovals: RouteRegistrar = (app, ctx) => {
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    return c.json({ items: (await ctx.store.approvals.list(q.state, q.limit)).map(view) }, 200);
  });
  for (const [verdict, state] of [
    ["approve", "approved"],
    ["deny", "denied"],
  ] as const) {
    app.openapi(decide(verdict), async (c) =>
      c.json(view(await decideApproval(ctx.broker, c.get("identity"), c.req.valid("param").id, state)), 200),
    );
  }
  app.openapi(redeem, async (c) => {
    const caller = c.get("identity");
    const approval = await ctx.store.approvals.get(c.req.valid("param").id);
    if (!approval || approval.agent !== caller.subject) {
      throw new LeashError("not_found", `approval ${c.req.valid("param").id} does not exist`);
    }
    const outcome = await issueLease(ctx.broker, caller, {
      taskId: approval.taskId,
      provider: approval.provider,
      target: approval.target ?? undefined,
      intent: approval.intent,
      ttlSeconds: approval.ttlSeconds,
    });
    c.header("cache-control", "no-store");
    const view = issuedView(outcome);
    // Redeeming sends no Idempotency-Key, so the outcome is never a replay: 201.
    return view.status === 202 ? c.json(view.body, 202) : c.json(view.body, 201);
  });
};
