import { createRoute, z } from "@hono/zod-openapi";
import type { StoredAuditEvent } from "@leash/store";
import { stream } from "hono/streaming";
import type { RouteRegistrar } from "../context.js";
import { requireRole } from "../middleware/identity.js";
import { bearer, errorResponses } from "../schemas.js";

const AuditItem = z
  .object({
    id: z.string(),
    ts: z.string(),
    type: z.string(),
    actor: z.string().nullable(),
    agent: z.string().optional(),
    task_id: z.string().optional(),
    lease_id: z.string().optional(),
    outcome: z.string(),
    cause: z
      .string()
      .optional()
      .describe("Receipts (`lease.revoked`, `lease.expired`) and revocation orders: why the lease ends."),
    ordered_at: z.string().optional().describe("When the end was ordered (for natural expiry: the expiry)."),
    confirmed_at: z.string().optional().describe("When the provider confirmed the credential dead."),
    policies: z.array(z.string()).optional().describe("With cause `policy_changed`: the denying policies."),
    detail: z.record(z.string(), z.unknown()).optional(),
    hash: z.string(),
  })
  .openapi("AuditEvent");

const Filters = z.strictObject({
  since: z
    .string()
    .regex(/^\d+-\d+$/, "an event id such as 1732350000000-0")
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  type: z.string().min(1).optional(),
  agent: z.string().min(1).optional(),
  task_id: z.string().min(1).optional(),
});

const list = createRoute({
  method: "get",
  path: "/v1/audit",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description: "Audit events, oldest first, after `since` (an event id; page with `next_cursor`).",
  request: { query: Filters },
  responses: {
    200: {
      description: "Events",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(AuditItem), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses,
  },
});

const verify = createRoute({
  method: "get",
  path: "/v1/audit/verify",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description:
    "Recomputes the hash chain: `ok` is false at the first event that was altered, or after a deletion.",
  responses: {
    200: {
      description: "Verification",
      content: {
        "application/json": {
          schema: z.object({
            ok: z.boolean(),
            checked: z.number().int(),
            first_bad: z.object({ id: z.string(), reason: z.string() }).optional(),
          }),
        },
      },
    },
    ...errorResponses,
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/v1/audit/export",
  tags: ["security"],
  security: bearer,
  middleware: [requireRole("security")] as const,
  description: "Every event after `since` as NDJSON, one JSON object per line.",
  request: { query: z.strictObject({ since: Filters.shape.since }) },
  responses: {
    200: { description: "NDJSON", content: { "application/x-ndjson": { schema: z.string() } } },
    ...errorResponses,
  },
});

function item(e: StoredAuditEvent): z.infer<typeof AuditItem> {
  return {
    id: e.id,
    ts: new Date(e.ts).toISOString(),
    type: e.type,
    actor: e.actor,
    ...(e.agent === undefined ? {} : { agent: e.agent }),
    ...(e.taskId === undefined ? {} : { task_id: e.taskId }),
    ...(e.leaseId === undefined ? {} : { lease_id: e.leaseId }),
    outcome: e.outcome,
    ...(e.cause === undefined ? {} : { cause: e.cause }),
    ...(e.orderedAt === undefined ? {} : { ordered_at: new Date(e.orderedAt).toISOString() }),
    ...(e.confirmedAt === undefined ? {} : { confirmed_at: new Date(e.confirmedAt).toISOString() }),
    ...(e.policies === undefined ? {} : { policies: [...e.policies] }),
    ...(e.detail === undefined ? {} : { detail: { ...e.detail } }),
    hash: e.hash,
  };
}

export const registerAudit: RouteRegistrar = (app, ctx) => {
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const items: z.infer<typeof AuditItem>[] = [];
    let cursor = q.since ?? "-";
    let exhausted = false;
    // Filters apply to bounded pages of the stream, so a sparse filter cannot turn one request into a full scan.
    for (let round = 0; round < 20 && items.length < q.limit; round++) {
      const page = await ctx.audit.read(cursor, 500);
      if (page.length < 500) exhausted = true;
      for (const e of page) {
        cursor = e.id;
        if (q.type && e.type !== q.type) continue;
        if (q.agent && e.agent !== q.agent) continue;
        if (q.task_id && e.taskId !== q.task_id) continue;
        items.push(item(e));
        if (items.length === q.limit) break;
      }
      if (exhausted) break;
    }
    const more = items.length === q.limit || !exhausted;
    return c.json({ items, next_cursor: more && cursor !== "-" ? cursor : null }, 200);
  });
  app.openapi(verify, async (c) => {
    const result = await ctx.audit.verify(ctx.checkpoints);
    return c.json(
      result.firstBad
        ? { ok: result.ok, checked: result.checked, first_bad: result.firstBad }
        : { ok: result.ok, checked: result.checked },
      200,
    );
  });
  app.openapi(exportRoute, (c) => {
    c.header("content-type", "application/x-ndjson");
    const since = c.req.valid("query").since ?? "-";
    return stream(c, async (out) => {
      let cursor = since;
      for (;;) {
        const page = await ctx.audit.read(cursor, 1000);
        for (const e of page) await out.write(`${JSON.stringify(item(e))}\n`);
        const last = page.at(-1);
        if (page.length < 1000 || !last) break;
        cursor = last.id;
      }
    }) as never; // hono/streaming returns a plain Response, which the typed route cannot express
  });
};
