import { LeashError } from "@leash/core";
import { z } from "zod";
import { describeIssues } from "../../middleware/validation.js";

/** Empty form fields mean "no filter". */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

export const Text = z.string().trim().min(1).max(512);

/** Validates a query or form; a violation is a 400 page naming each field by where it is (`query.x`, `form.x`). */
export function parseWith<T extends z.ZodType>(
  schema: T,
  input: unknown,
  source: "query" | "form" = "query",
): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new LeashError("invalid_request", describeIssues(source, result.error.issues));
}
