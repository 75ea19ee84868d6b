import { z } from "zod";

/** Reasons Leash itself gives when no policy id explains a deny. No `@id` may take these names. */
export const DEFAULT_DENY = "default-deny";
export const POLICY_ERROR = "policy-error";
export const REQUEST_REJECTED = "request-rejected";
const RESERVED_IDS: ReadonlySet<string> = new Set([DEFAULT_DENY, POLICY_ERROR, REQUEST_REJECTED]);

/** What a permitting policy asks of the credential Leash issues. */
export interface Obligations {
  /** Upper bound on the lease TTL in seconds; the decision takes the minimum over all permits. */
  maxTtlSeconds: number | undefined;
  /** The lease waits for a human (security role) to approve it. */
  approvalRequired: boolean;
  /** Opaque to Leash: passed to the provider, which may narrow the credential's scope further with it. */
  scopeHint: string | undefined;
}

const annotationValue = z.string().nullable();

const PolicyAnnotations = z.looseObject({
  id: z
    .string({ error: 'every policy needs an @id("...") annotation' })
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
      "@id must be 1-128 characters: letters, digits and . _ : - (starting with a letter or digit)",
    )
    .refine((id) => !RESERVED_IDS.has(id), { message: "@id uses a name reserved for Leash's own reasons" }),
  max_ttl: annotationValue
    .optional()
    .refine((v) => v === undefined || (v !== null && /^[1-9][0-9]{0,8}$/.test(v)), {
      message: '@max_ttl must be a positive whole number of seconds, e.g. @max_ttl("900")',
    }),
  approval: annotationValue.optional().refine((v) => v === undefined || v === "required", {
    message: '@approval accepts only "required"',
  }),
  scope: annotationValue.optional().refine((v) => v === undefined || (v !== null && v.length > 0), {
    message: "@scope needs a non-empty value",
  }),
});

export type ParsedAnnotations =
  | { ok: true; id: string; obligations: Obligations }
  | { ok: false; problems: string[] };

/**
 * Reads `@id` and the obligation annotations of one policy. Obligations are accepted on permits only: a forbid
 * never determines an allow, so an obligation on it would be silently ignored.
 */
export function parseAnnotations(
  effect: "permit" | "forbid",
  annotations: Record<string, string | null> | undefined,
): ParsedAnnotations {
  const parsed = PolicyAnnotations.safeParse(annotations ?? {});
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => issue.message) };
  }
  const { id, max_ttl, approval, scope } = parsed.data;
  const obligations: Obligations = {
    maxTtlSeconds: typeof max_ttl === "string" ? Number(max_ttl) : undefined,
    approvalRequired: approval === "required",
    scopeHint: typeof scope === "string" ? scope : undefined,
  };
  if (
    effect === "forbid" &&
    (obligations.maxTtlSeconds !== undefined || obligations.approvalRequired || obligations.scopeHint)
  ) {
    return {
      ok: false,
      problems: [`@max_ttl, @approval and @scope apply to permit policies only (policy "${id}" is a forbid)`],
    };
  }
  return { ok: true, id, obligations };
}
