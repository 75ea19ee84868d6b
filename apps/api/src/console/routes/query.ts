import { LeashError } from "@leash/core";
import { z } from "zod";

/** Empty form fields mean "no filter". */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

export const Text = z.string().trim().min(1).max(512);

/** Validates a query or form; a violation is a 400 page naming each field. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join(".") || "(form)"}: ${i.message}`);
  throw new LeashError("invalid_request", issues.join("; "));
}
