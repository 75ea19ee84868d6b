import { z } from "zod";

/**
 * IAM policy documents as IAM accepts them (the grammar in the IAM User Guide, "IAM JSON policy elements"): the
 * subset the emulator evaluates. Anything outside it is refused, as IAM refuses unknown elements, so a policy
 * that the emulator accepts means what it says.
 */
export type PolicyKind = "identity" | "session" | "trust";

const STRING_OPS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"];
const LIKE_OPS = ["StringLike", "StringNotLike", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"];
const DATE_OPS = ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan"];
const MORE_OPS = ["DateGreaterThanEquals", "NumericEquals", "NumericNotEquals", "NumericLessThan"];
const NUMERIC_OPS = [
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "Bool",
  "Null",
];
const OPERATORS: ReadonlySet<string> = new Set([
  ...STRING_OPS,
  ...LIKE_OPS,
  ...DATE_OPS,
  ...MORE_OPS,
  ...NUMERIC_OPS,
]);

export interface Condition {
  /** The base operator, without `IfExists` and without a set qualifier. */
  operator: string;
  ifExists: boolean;
  qualifier: "ForAnyValue" | "ForAllValues" | undefined;
  key: string;
  values: string[];
}

export interface Statement {
  effect: "Allow" | "Deny";
  actions: string[] | undefined;
  notActions: string[] | undefined;
  resources: string[] | undefined;
  notResources: string[] | undefined;
  /** `"*"` or principal ARNs / account ids; undefined when the statement names no principal. */
  principals: string[] | undefined;
  conditions: Condition[];
}

export interface PolicyDocument {
  statements: Statement[];
}

export class PolicyError extends Error {
  override readonly name = "PolicyError";
}

const StringOrList = z.union([z.string(), z.array(z.string()).min(1)]);
const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const RawPrincipal = z.union([z.literal("*"), z.record(z.string(), StringOrList)]);
const RawStatement = z.strictObject({
  Sid: z.string().optional(),
  Effect: z.enum(["Allow", "Deny"]),
  Action: StringOrList.optional(),
  NotAction: StringOrList.optional(),
  Resource: StringOrList.optional(),
  NotResource: StringOrList.optional(),
  Principal: RawPrincipal.optional(),
  NotPrincipal: RawPrincipal.optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.union([Scalar, z.array(Scalar).min(1)]))).optional(),
});
const RawPolicy = z.strictObject({
  Version: z.enum(["2012-10-17", "2008-10-17"]).optional(),
  Id: z.string().optional(),
  Statement: z.union([RawStatement, z.array(RawStatement).min(1)]),
});
type RawStatement = z.infer<typeof RawStatement>;

const list = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : typeof v === "string" ? [v] : v;

function parseConditions(raw: RawStatement["Condition"]): Condition[] {
  const conditions: Condition[] = [];
  for (const [name, block] of Object.entries(raw ?? {})) {
    let rest = name;
    let qualifier: Condition["qualifier"];
    const colon = rest.indexOf(":");
    if (colon >= 0) {
      const q = rest.slice(0, colon);
      if (q !== "ForAnyValue" && q !== "ForAllValues")
        throw new PolicyError(`Invalid Condition type : ${name}.`);
      qualifier = q;
      rest = rest.slice(colon + 1);
    }
    const ifExists = rest.endsWith("IfExists") && rest !== "IfExists";
    const operator = ifExists ? rest.slice(0, -"IfExists".length) : rest;
    if (!OPERATORS.has(operator)) throw new PolicyError(`Invalid Condition type : ${name}.`);
    for (const [key, value] of Object.entries(block)) {
      const values = (Array.isArray(value) ? value : [value]).map(String);
      conditions.push({ operator, ifExists, qualifier, key, values });
    }
  }
  return conditions;
}

function principalsOf(raw: RawStatement["Principal"]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (raw === "*") return ["*"];
  return Object.values(raw).flatMap((v) => (typeof v === "string" ? [v] : v));
}

function checkStatement(s: RawStatement, kind: PolicyKind): Statement {
  if ((s.Action === undefined) === (s.NotAction === undefined)) {
    throw new PolicyError("Policy statement must contain actions.");
  }
  if (s.NotPrincipal !== undefined) throw new PolicyError("NotPrincipal is not supported by this emulator.");
  if (kind === "trust") {
    if (s.Principal === undefined) throw new PolicyError("Missing required field Principal.");
  } else {
    if (s.Principal !== undefined) throw new PolicyError("Policy document should not specify a principal.");
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new PolicyError("Policy statement must contain resources.");
    }
  }
  return {
    effect: s.Effect,
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
    principals: principalsOf(s.Principal),
    conditions: parseConditions(s.Condition),
  };
}

/** Parses and validates a policy; throws PolicyError with an IAM-style message. */
export function parsePolicy(text: string, kind: PolicyKind): PolicyDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PolicyError("Syntax errors in policy.");
  }
  const parsed = RawPolicy.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? first.path.join(".") : "";
    throw new PolicyError(`Syntax errors in policy.${where ? ` (${where}: ${first?.message})` : ""}`);
  }
  const raw = parsed.data.Statement;
  const statements = (Array.isArray(raw) ? raw : [raw]).map((s) => checkStatement(s, kind));
  return { statements };
}

/** IAM counts a role's inline policies against its quota without whitespace (IAM User Guide, IAM quotas). */
export function policySizeChars(text: string): number {
  return text.replace(/\s/g, "").length;
}
