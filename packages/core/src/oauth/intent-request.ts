import { z } from "zod";
import { Intent } from "../intent.js";
import { OAuthError } from "./errors.js";

/** Task ids as the API takes them (`POST /v1/tasks`). */
const TaskId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, "1-128 characters of letters, digits and _ . : -");

/** The one RFC 9396 authorization details type Leash knows. */
export const LEASH_INTENT_TYPE = "leash_intent";

/** RFC 9396 authorization details of type `leash_intent`: the intent's fields at the top level, the task optional. */
const LeashIntentDetail = z.strictObject({
  type: z.literal(LEASH_INTENT_TYPE),
  task_id: TaskId.optional(),
  ...Intent.shape,
});

/** What the token request asked for: a task (or none, when the agent has one), an intent (or none, for `/mcp`). */
export interface RequestedIntent {
  /** How it was asked, so the answer echoes the same form. */
  form: "authorization_details" | "scope" | "none";
  taskId: string | undefined;
  intent: Intent | undefined;
}

/** RFC 6749 §3.3 scope-token characters: printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_DETAILS_LENGTH = 4096;

function issuesOf(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((i) => `${[prefix, ...i.path.map(String)].filter((p) => p !== "").join(".")}: ${i.message}`)
    .join("; ");
}

/**
 * `scope`: single-space-separated items, `task:<task id>` and one `<action>:<resource>` split at the first `:`
 * (`task` is reserved as an action). It sets action and resource only, so policies see sensitivity `restricted`.
 */
export function intentFromScope(scope: string): RequestedIntent {
  const refused = (why: string) => new OAuthError("invalid_scope", `scope: ${why}`);
  const found: RequestedIntent = { form: "scope", taskId: undefined, intent: undefined };
  if (scope === "") return found;
  for (const item of scope.split(" ")) {
    if (!SCOPE_TOKEN.test(item))
      throw refused("items are separated by one space and hold printable ASCII only (RFC 6749 §3.3)");
    const colon = item.indexOf(":");
    if (colon < 1) throw refused("each item is task:<task id> or <action>:<resource>");
    const [action, rest] = [item.slice(0, colon), item.slice(colon + 1)];
    if (action === "task") {
      if (found.taskId !== undefined) throw refused("more than one task item");
      const id = TaskId.safeParse(rest);
      if (!id.success) throw refused(`task: ${issuesOf(id.error, "")}`);
      found.taskId = id.data;
      continue;
    }
    if (found.intent !== undefined) throw refused("more than one <action>:<resource> item");
    const intent = Intent.safeParse({ action, resource: rest });
    if (!intent.success) throw refused(issuesOf(intent.error, ""));
    found.intent = intent.data;
  }
  return found;
}

/** `authorization_details` (RFC 9396): a JSON array holding exactly one detail of type `leash_intent`. */
export function intentFromAuthorizationDetails(text: string): RequestedIntent {
  const refused = (why: string) =>
    new OAuthError("invalid_authorization_details", `authorization_details: ${why}`);
  if (text.length > MAX_DETAILS_LENGTH) throw refused(`longer than ${MAX_DETAILS_LENGTH} characters`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refused("not valid JSON");
  }
  if (!Array.isArray(parsed) || parsed.length !== 1)
    throw refused(`must be an array of exactly one object of type ${LEASH_INTENT_TYPE}`);
  const [first] = parsed as unknown[];
  if (typeof first !== "object" || first === null || (first as { type?: unknown }).type !== LEASH_INTENT_TYPE)
    throw refused(`the only type supported is ${LEASH_INTENT_TYPE}`);
  const detail = LeashIntentDetail.safeParse(first);
  if (!detail.success) throw refused(issuesOf(detail.error, "[0]"));
  const { type: _type, task_id, ...intent } = detail.data;
  return { form: "authorization_details", taskId: task_id, intent };
}

/** The intent of a token request: from `authorization_details` or from `scope`, never both; none at all for `/mcp`. */
export function requestedIntent(params: { scope?: string; authorizationDetails?: string }): RequestedIntent {
  const { scope, authorizationDetails } = params;
  if (scope !== undefined && authorizationDetails !== undefined)
    throw new OAuthError("invalid_request", "send the intent as authorization_details or as scope, not both");
  if (authorizationDetails !== undefined) return intentFromAuthorizationDetails(authorizationDetails);
  if (scope !== undefined) return intentFromScope(scope);
  return { form: "none", taskId: undefined, intent: undefined };
}

/** A granted detail, as access tokens and token responses carry it; without intent fields for a token for `/mcp`. */
export type GrantedDetail = { type: typeof LEASH_INTENT_TYPE; task_id: string } & Partial<Intent>;

export function grantedDetails(taskId: string, intent: Intent | undefined): GrantedDetail[] {
  return [{ type: LEASH_INTENT_TYPE, task_id: taskId, ...(intent ?? {}) }];
}
