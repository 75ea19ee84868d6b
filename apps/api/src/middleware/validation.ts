import { LeashError } from "@leash/core";
import type { z } from "zod";

/** Where a request value was read from: the validator targets of Hono, plus the console's forms and queries. */
export type ValueSource = "json" | "query" | "param" | "header" | "cookie" | "form";

const PREFIX: Record<ValueSource, string | null> = {
  // Body fields keep their bare path (`intent.resource`): that is how the API's documentation names them.
  json: null,
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
  form: "form",
};

const UNKNOWN: Record<ValueSource, string> = {
  json: "unknown field",
  query: "unknown query parameter",
  param: "unknown path parameter",
  header: "unknown header",
  cookie: "unknown cookie",
  form: "unknown form field",
};

function name(source: ValueSource, path: readonly PropertyKey[]): string {
  const dotted = path.map(String).join(".");
  const prefix = PREFIX[source];
  if (prefix === null) return dotted || "(body)";
  return dotted ? `${prefix}.${dotted}` : prefix;
}

/**
 * One line per problem, each naming the value by where it was sent: `query.limit`, `path.agent`,
 * `header.idempotency-key`, `form.reason`, or a body field's path (`intent.resource`). An unknown key is named
 * itself, never as the object that holds it.
 */
export function describeIssues(source: ValueSource, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => `${name(source, [...issue.path, key])}: ${UNKNOWN[source]}`)
        : [`${name(source, issue.path)}: ${issue.message}`],
    )
    .join("; ");
}

const SOURCES = new Set<string>(Object.keys(PREFIX));

/**
 * The default hook of every OpenAPI route: a failed validation becomes one `invalid_request` problem listing every
 * issue by where it is.
 */
export function validationHook(result: {
  success: boolean;
  target: string;
  error?: { issues: readonly z.core.$ZodIssue[] };
}): void {
  if (result.success || !result.error) return;
  const source = (SOURCES.has(result.target) ? result.target : "json") as ValueSource;
  throw new LeashError("invalid_request", describeIssues(source, result.error.issues));
}
