import { readFile } from "node:fs/promises";
import {
  Intent,
  type PolicyDecider,
  type PolicyDecision,
  type PolicyRequest,
  ProviderName,
} from "@leash/core";
import { z } from "zod";

/**
 * A request in a cases file: the PolicyRequest in snake_case (the names policies see in the schema). Every
 * field but `intent` has a default (see CASE_DEFAULTS); objects are strict so a misspelt field is an error
 * rather than a silently ignored one.
 */
const Labels = z.record(z.string(), z.string());
export const CaseRequest = z.strictObject({
  agent: z.strictObject({
    id: z.string().min(1),
    trust_domain: z.string().min(1).nullable().default(null),
    path: z.string().min(1).nullable().default(null),
    labels: Labels.default({}),
  }),
  intent: Intent,
  task: z.strictObject({
    id: z.string().min(1),
    labels: Labels,
    remaining_seconds: z.number().int(),
    depth: z.number().int().min(0),
    chain: z.array(z.string()),
    break_glass: z.boolean(),
  }),
  provider: ProviderName,
  target: z.string().min(1).nullable(),
  ttl_seconds: z.number().int().positive(),
  environment: z.string().min(1),
  now: z.iso.datetime({ offset: true }),
  exposure: z.strictObject({ live_leases: z.number().int().min(0) }),
});
export type CaseRequest = z.infer<typeof CaseRequest>;

/** What a case's request is filled with before the file's own `defaults` and the case's fields. */
export const CASE_DEFAULTS = {
  agent: { id: "agent-test" },
  task: { id: "task-test", labels: {}, remaining_seconds: 3600, depth: 0, chain: [], break_glass: false },
  provider: "leash-jwt",
  target: null,
  ttl_seconds: 300,
  environment: "production",
  // A Monday, 10:00 UTC: inside working hours unless a case says otherwise.
  now: "2025-01-06T10:00:00Z",
  exposure: { live_leases: 0 },
} as const;

const JsonObject = z.record(z.string(), z.unknown());
export const Expectation = z.enum(["allow", "deny", "approval"]);
export type Expectation = z.infer<typeof Expectation>;

const PolicyCase = z.strictObject({
  name: z.string().min(1),
  request: JsonObject,
  /** "approval" = allowed with `@approval("required")`; "allow" = allowed without it. */
  expect: Expectation,
  /** Each of these must be among the decision's reasons (others may be there too). */
  reasons: z.array(z.string().min(1)).optional(),
  max_ttl_seconds: z.number().int().positive().nullable().optional(),
});

const PolicyCasesFile = z.union([
  z.array(PolicyCase),
  z.strictObject({ defaults: JsonObject.optional(), cases: z.array(PolicyCase) }),
]);

export interface PolicyCaseResult {
  name: string;
  passed: boolean;
  expected: Expectation;
  actual: Expectation;
  /** Why the case failed, empty when it passed. */
  problems: string[];
  decision: PolicyDecision;
}

export interface PolicyCasesReport {
  file: string;
  passed: number;
  failed: number;
  results: PolicyCaseResult[];
}

/**
 * Runs every case of a JSON cases file against `decider` (the CLI's `leash policy test <cases>`).
 * @throws Error naming the file and the case when the file is unreadable or malformed.
 */
export async function runPolicyCases(decider: PolicyDecider, casesFile: string): Promise<PolicyCasesReport> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(casesFile, "utf8"));
  } catch (error) {
    throw new Error(`${casesFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = PolicyCasesFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${casesFile}: ${z.prettifyError(parsed.error)}`);
  const { defaults, cases } = Array.isArray(parsed.data) ? { defaults: {}, cases: parsed.data } : parsed.data;
  const base = merge(CASE_DEFAULTS, defaults ?? {});

  const results = cases.map((c, index): PolicyCaseResult => {
    const request = CaseRequest.safeParse(merge(base, c.request));
    if (!request.success) {
      throw new Error(`${casesFile}: case ${index} "${c.name}": ${z.prettifyError(request.error)}`);
    }
    const decision = decider.decide(toPolicyRequest(request.data));
    const actual: Expectation = !decision.allowed ? "deny" : decision.approvalRequired ? "approval" : "allow";
    const problems: string[] = [];
    if (actual !== c.expect) problems.push(`expected ${c.expect}, got ${actual}`);
    for (const reason of c.reasons ?? []) {
      if (!decision.reasons.includes(reason)) problems.push(`reason "${reason}" missing`);
    }
    if (c.max_ttl_seconds !== undefined && (decision.maxTtlSeconds ?? null) !== c.max_ttl_seconds) {
      problems.push(`expected max TTL ${c.max_ttl_seconds}, got ${decision.maxTtlSeconds ?? null}`);
    }
    if (decision.errors.length > 0) problems.push(...decision.errors.map((e) => `error: ${e}`));
    return { name: c.name, passed: problems.length === 0, expected: c.expect, actual, problems, decision };
  });
  const passed = results.filter((r) => r.passed).length;
  return { file: casesFile, passed, failed: results.length - passed, results };
}

export function toPolicyRequest(request: CaseRequest): PolicyRequest {
  return {
    agent: {
      id: request.agent.id,
      trustDomain: request.agent.trust_domain,
      path: request.agent.path,
      labels: request.agent.labels,
    },
    intent: request.intent,
    task: {
      id: request.task.id,
      labels: request.task.labels,
      remainingSeconds: request.task.remaining_seconds,
      depth: request.task.depth,
      chain: request.task.chain,
      breakGlass: request.task.break_glass,
    },
    provider: request.provider,
    target: request.target,
    ttlSeconds: request.ttl_seconds,
    environment: request.environment,
    now: new Date(request.now),
    exposure: { liveLeases: request.exposure.live_leases },
  };
}

/** Deep merge of plain JSON objects; arrays and scalars in `over` replace those in `base`. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
