import { z } from "zod";

export const Sensitivity = z.enum(["public", "internal", "confidential", "restricted"]);
export type Sensitivity = z.infer<typeof Sensitivity>;

const token = z.string().min(1).max(256);

const intentFields = {
  action: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, "action may contain letters, digits and _ . : -"),
  resource: z.string().min(1).max(1024),
  tool: token.optional(),
  sensitivity: Sensitivity.optional(),
  destination: token.optional(),
  purpose: z.string().min(1).max(512).optional(),
};

/** What an agent asks for: one action on one concrete resource. */
export const Intent = z.strictObject(intentFields).refine((i) => !i.resource.includes("*"), {
  message: "resource in a request must be concrete (no '*')",
  path: ["resource"],
});
export type Intent = z.infer<typeof Intent>;

/** What a task allows: `resource` may end in `*` (a prefix), nowhere else. */
export const CeilingIntent = z
  .strictObject(intentFields)
  .refine((i) => !i.resource.slice(0, -1).includes("*"), {
    message: "'*' is allowed only as the last character of a ceiling resource",
    path: ["resource"],
  });
export type CeilingIntent = z.infer<typeof CeilingIntent>;

export const Ceiling = z.array(CeilingIntent).min(1).max(64);
export type Ceiling = z.infer<typeof Ceiling>;
