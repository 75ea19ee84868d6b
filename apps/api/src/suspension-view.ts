import { z } from "@hono/zod-openapi";
import { type Suspension, suspensionDetail } from "@leash/core";

const Time = z.string().openapi({ format: "date-time" });

export const SuspensionView = z
  .object({ reason: z.string(), until: Time.nullable(), by: z.string(), at: Time })
  .openapi("Suspension");

/** A suspension in force as the API shows it; null for none. */
export function suspensionView(s: Suspension | null): z.infer<typeof SuspensionView> | null {
  return s ? suspensionDetail(s) : null;
}
