import type { Condition, PolicyDocument, Statement } from "./policy-document.js";

/** One request as IAM evaluates it: an action on a resource, with the request context's condition keys. */
export interface EvalRequest {
  action: string;
  resource: string;
  /** Condition keys (matched case-insensitively, as IAM does); absent keys are simply not present. */
  context: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The caller, for policies that name principals (trust policies). */
  principal?: { arn: string; account: string };
}

export type Decision = "allow" | "explicit_deny" | "implicit_deny";

/**
 * IAM's evaluation logic for one account, no resource policies or boundaries: an explicit Deny in any policy
 * wins; otherwise the identity policies must allow, and when session policies were passed they must allow too
 * (the effective permissions are the intersection). IAM User Guide, "Policy evaluation logic".
 */
export function evaluate(
  request: EvalRequest,
  identity: readonly PolicyDocument[],
  session?: readonly PolicyDocument[],
): Decision {
  const context = normaliseContext(request.context);
  let identityAllows = false;
  let sessionAllows = session === undefined;
  for (const doc of identity) {
    for (const s of doc.statements) {
      if (!applies(s, request, context)) continue;
      if (s.effect === "Deny") return "explicit_deny";
      identityAllows = true;
    }
  }
  for (const doc of session ?? []) {
    for (const s of doc.statements) {
      if (!applies(s, request, context)) continue;
      if (s.effect === "Deny") return "explicit_deny";
      sessionAllows = true;
    }
  }
  return identityAllows && sessionAllows ? "allow" : "implicit_deny";
}

type Context = ReadonlyMap<string, readonly string[]>;

function normaliseContext(raw: EvalRequest["context"]): Context {
  const map = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    map.set(key.toLowerCase(), typeof value === "string" ? [value] : value);
  }
  return map;
}

function applies(s: Statement, request: EvalRequest, context: Context): boolean {
  if (s.principals !== undefined && !principalMatches(s.principals, request.principal)) return false;
  const actionHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  if (s.actions !== undefined && !actionHit(s.actions)) return false;
  if (s.notActions !== undefined && actionHit(s.notActions)) return false;
  const resourceHit = (patterns: string[]) => patterns.some((p) => arnMatch(p, request.resource));
  if (s.resources !== undefined && !resourceHit(s.resources)) return false;
  if (s.notResources !== undefined && resourceHit(s.notResources)) return false;
  return s.conditions.every((c) => conditionHolds(c, context));
}

function principalMatches(principals: string[], caller: EvalRequest["principal"]): boolean {
  if (caller === undefined) return false;
  return principals.some(
    (p) =>
      p === "*" ||
      p === caller.arn ||
      p === caller.account ||
      p === `arn:aws:iam::${caller.account}:root` ||
      // A role ARN as principal covers its sessions, as IAM resolves assumed-role principals to the role.
      caller.arn.startsWith(`${p.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/`),
  );
}

/** `*` matches any run of characters and `?` exactly one (IAM's wildcards in Action, Resource and *Like). */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  let source = "^";
  for (const ch of pattern) {
    if (ch === "*") source += "[\\s\\S]*";
    else if (ch === "?") source += "[\\s\\S]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`${source}$`, ignoreCase ? "iu" : "u").test(value);
}

/**
 * ARN matching as IAM does it: the partition, service, region and account fields are matched one by one (a
 * wildcard there stays inside its field), the resource part as a whole.
 */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === "*") return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (p === undefined || a === undefined) return wildcardMatch(pattern, arn);
  return p.every((field, i) => wildcardMatch(field, a[i] ?? ""));
}

function splitArn(value: string): string[] | undefined {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

function parseDate(value: string): number {
  return /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
}

function positiveMatch(operator: string, policyValue: string, actual: string): boolean {
  switch (operator) {
    case "StringEquals":
    case "StringNotEquals":
    case "ArnEquals":
    case "ArnNotEquals":
      return operator.startsWith("Arn") ? arnMatch(policyValue, actual) : policyValue === actual;
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase":
      return policyValue.toLowerCase() === actual.toLowerCase();
    case "StringLike":
    case "StringNotLike":
      return wildcardMatch(policyValue, actual);
    case "ArnLike":
    case "ArnNotLike":
      return arnMatch(policyValue, actual);
    case "Bool":
      return policyValue.toLowerCase() === actual.toLowerCase();
  }
  const isDate = operator.startsWith("Date");
  const want = isDate ? parseDate(policyValue) : Number(policyValue);
  const have = isDate ? parseDate(actual) : Number(actual);
  if (Number.isNaN(want) || Number.isNaN(have)) return false;
  const comparison = operator.replace(/^(Date|Numeric)/, "");
  switch (comparison) {
    case "Equals":
    case "NotEquals":
      return have === want;
    case "LessThan":
      return have < want;
    case "LessThanEquals":
      return have <= want;
    case "GreaterThan":
      return have > want;
    case "GreaterThanEquals":
      return have >= want;
    default:
      return false;
  }
}

function isNegated(operator: string): boolean {
  return operator.includes("Not");
}

/**
 * Values of one key are ORed, keys and operators are ANDed; a negated operator with several values acts as an
 * AND of negations. A key absent from the request does not match, except for negated operators and IfExists,
 * which then hold (IAM User Guide, "Condition operators").
 */
function conditionHolds(c: Condition, context: Context): boolean {
  const actual = context.get(c.key.toLowerCase());
  if (c.operator === "Null") {
    const wantsAbsent = c.values.some((v) => v.toLowerCase() === "true");
    return wantsAbsent === (actual === undefined || actual.length === 0);
  }
  if (actual === undefined || actual.length === 0) {
    return c.ifExists || isNegated(c.operator) || c.qualifier === "ForAllValues";
  }
  const negated = isNegated(c.operator);
  const one = (value: string): boolean => {
    const hit = c.values.some((policyValue) => positiveMatch(c.operator, policyValue, value));
    return negated ? !hit : hit;
  };
  return c.qualifier === "ForAllValues" ? actual.every(one) : actual.some(one);
}
