import { z } from "zod";
import { RESOURCE_MAX_LENGTH, RESOURCE_RULES, type ResourceKind, resourceProblem } from "./resource.js";

export const Sensitivity = z.enum(["public", "internal", "confidential", "restricted"]);
export type Sensitivity = z.infer<typeof Sensitivity>;

const token = z.string().min(1).max(256);

/** The resource grammar as the OpenAPI document states it (the rules are in resource.ts). */
export const RESOURCE_GRAMMAR =
  "Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, " +
  "also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); " +
  "no '\\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form " +
  "contains '.', '/', '\\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or " +
  "'/'. Anything else is 400 invalid_request naming the rule broken: " +
  `${Object.keys(RESOURCE_RULES).join(", ")}.`;

function resourceSchema(kind: ResourceKind, description: string) {
  return z
    .string()
    .min(1)
    .max(RESOURCE_MAX_LENGTH)
    .superRefine((value, ctx) => {
      const problem = resourceProblem(value, kind);
      // Empty and oversized values are already reported by min/max.
      if (problem && problem.rule !== "empty" && problem.rule !== "too_long") {
        ctx.addIssue({ code: "custom", message: problem.message, params: { rule: problem.rule } });
      }
    })
    .describe(`${description} ${RESOURCE_GRAMMAR}`);
}

const intentFields = {
  action: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, "action may contain letters, digits and _ . : -"),
  resource: resourceSchema("request", "One resource, or a prefix when it ends in '/'; never '*'."),
  tool: token.optional(),
  sensitivity: Sensitivity.optional(),
  destination: token.optional(),
  purpose: z.string().min(1).max(512).optional(),
};

/** What an agent asks for: one action on one concrete resource. */
export const Intent = z.strictObject(intentFields);
export type Intent = z.infer<typeof Intent>;

/** What a task allows: `resource` may end in `*` (a prefix), nowhere else. */
export const CeilingIntent = z.strictObject({
  ...intentFields,
  resource: resourceSchema(
    "ceiling",
    "As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', " +
      "'docs/q3-*'); '*' alone is every resource.",
  ),
});
export type CeilingIntent = z.infer<typeof CeilingIntent>;

export const Ceiling = z.array(CeilingIntent).min(1).max(64);
export type Ceiling = z.infer<typeof Ceiling>;
