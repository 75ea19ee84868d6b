import { type ActionHierarchy, type ActionScope, actionScopeOf, readActionHierarchy } from "./actions.js";
import { type Obligations, parseAnnotations } from "./annotations.js";
import {
  checkParseSchema,
  type DetailedError,
  policySetTextToParts,
  policyToJson,
  schemaToJson,
  validate,
} from "./cedar.js";
import { PolicyLoadError, type PolicyProblem, positionAtByte, positionAtIndex } from "./load-error.js";
import { checkRequestShape } from "./request-shape.js";
import { type AttributeUsage, attributeUsage } from "./usage.js";

/** A file's name (used in error messages) and its text. */
export interface PolicySource {
  file: string;
  text: string;
}

export interface CompiledPolicy {
  id: string;
  effect: "permit" | "forbid";
  file: string;
  line: number;
  text: string;
  obligations: Obligations;
  actionScope: ActionScope;
  /** The request attributes the policy can read. */
  usage: AttributeUsage;
}

/** A parsed, schema-validated policy set: plain data, ready to be handed to the Cedar engine. */
export interface CompiledPolicySet {
  schema: PolicySource;
  /** Keyed by `@id`, which is also the Cedar policy id, so Cedar's diagnostics name policies by `@id`. */
  policies: ReadonlyMap<string, CompiledPolicy>;
  /** The schema's concrete actions and their groups. */
  actions: ActionHierarchy;
  files: readonly string[];
  /** Validator warnings (e.g. a condition that is always false); they do not stop the load. */
  warnings: readonly PolicyProblem[];
}

/**
 * Parses every policy file, validates the set against the schema in strict mode and checks the annotations.
 * Collects all problems before throwing, so one run reports everything that is wrong.
 * @throws PolicyLoadError naming file, line and problem.
 */
export function compilePolicySet(schema: PolicySource, sources: readonly PolicySource[]): CompiledPolicySet {
  // Parsed once into JSON: Cedar re-parses a schema given as text on every call, which is the slow part.
  const schemaJson = schemaToJson(schema.text);
  if (schemaJson.type === "failure") {
    // The conversion loses some source locations; the parser's own check keeps them.
    const check = checkParseSchema(schema.text);
    const errors = check.type === "failure" ? check.errors : schemaJson.errors;
    throw new PolicyLoadError(errors.map((e) => problemOf(schema, e)));
  }
  const { actions, problems: actionProblems } = readActionHierarchy(schemaJson.json);
  const shapeProblems =
    actionProblems.length > 0 ? actionProblems : checkRequestShape(schemaJson.json, actions);
  if (shapeProblems.length > 0) throw new PolicyLoadError(shapeProblems.map((m) => at(schema, 1, m)));

  const problems: PolicyProblem[] = [];
  if (sources.length === 0) problems.push(at(schema, 1, "no *.cedar policy files next to the schema"));
  const policies = new Map<string, CompiledPolicy>();
  const parsed: PolicySource[] = [];
  for (const source of sources) {
    const split = splitPolicies(source, problems);
    if (split === null) continue;
    parsed.push(source);
    for (const policy of split) {
      const first = policies.get(policy.id);
      if (first === undefined) {
        policies.set(policy.id, policy);
        continue;
      }
      const message = `duplicate @id "${policy.id}" (first in ${first.file}:${first.line})`;
      problems.push(at(source, policy.line, message));
    }
  }

  // One validation for all files that parsed; they are joined, and error offsets are mapped back to them.
  const joined = joinSources(parsed);
  const answer = validate({
    schema: schemaJson.json,
    policies: { staticPolicies: joined.text },
    validationSettings: { mode: "strict" },
  });
  if (answer.type === "failure") problems.push(...answer.errors.map((e) => joined.problemOf(e)));
  else problems.push(...answer.validationErrors.map((v) => joined.problemOf(v.error)));
  if (problems.length > 0) throw new PolicyLoadError(problems);
  const warnings =
    answer.type === "success" ? answer.validationWarnings.map((v) => joined.problemOf(v.error)) : [];
  return { schema, policies, actions, files: sources.map((s) => s.file), warnings };
}

/**
 * Splits one file into its policies and reads their annotations; problems are appended to `problems`.
 * Returns null when the file does not parse.
 */
function splitPolicies(source: PolicySource, problems: PolicyProblem[]): CompiledPolicy[] | null {
  const parts = policySetTextToParts(source.text);
  if (parts.type === "failure") {
    problems.push(...parts.errors.map((e) => problemOf(source, e)));
    return null;
  }
  for (const template of parts.policy_templates) {
    problems.push(
      at(source, lineOf(source, template), "policy templates are not supported; write static policies"),
    );
  }
  const compiled: CompiledPolicy[] = [];
  for (const text of parts.policies) {
    const line = lineOf(source, text);
    const json = policyToJson(text);
    if (json.type === "failure") {
      problems.push(...json.errors.map((e) => at(source, line, e.message)));
      continue;
    }
    const effect = json.json.effect;
    const annotations = parseAnnotations(effect, json.json.annotations);
    if (!annotations.ok) {
      problems.push(...annotations.problems.map((message) => at(source, line, message)));
      continue;
    }
    compiled.push({
      id: annotations.id,
      effect,
      file: source.file,
      line,
      text,
      obligations: annotations.obligations,
      actionScope: actionScopeOf(json.json.action),
      usage: attributeUsage(json.json),
    });
  }
  // Cedar returns the parts sorted by its generated ids (policy0, policy1, policy10, ...): restore file order.
  return compiled.sort((a, b) => a.line - b.line);
}

/** The files as one policy set text, and a way back from a location in it to file and line. */
function joinSources(sources: readonly PolicySource[]) {
  const starts: Array<{ source: PolicySource; byte: number }> = [];
  let byte = 0;
  for (const source of sources) {
    starts.push({ source, byte });
    byte += Buffer.byteLength(source.text, "utf8") + 1;
  }
  return {
    text: sources.map((s) => s.text).join("\n"),
    problemOf(error: DetailedError): PolicyProblem {
      const offset = error.sourceLocations?.[0]?.start ?? 0;
      const owner = starts.filter((s) => s.byte <= offset).pop() ?? starts[0];
      if (owner === undefined) return { file: "<policies>", line: 1, column: 1, message: error.message };
      return problemOf(owner.source, error, owner.byte);
    },
  };
}

/** Cedar hands back each policy's exact source text, so its position in the file locates it. */
function lineOf(source: PolicySource, policyText: string): number {
  const index = source.text.indexOf(policyText);
  return index < 0 ? 1 : positionAtIndex(source.text, index).line;
}

function at(source: PolicySource, line: number, message: string): PolicyProblem {
  return { file: source.file, line, column: 1, message };
}

function problemOf(source: PolicySource, error: DetailedError, baseByte = 0): PolicyProblem {
  const location = error.sourceLocations?.[0];
  const position = location ? positionAtByte(source.text, location.start - baseByte) : { line: 1, column: 1 };
  let message = error.message;
  if (location?.label) message += ` (${location.label})`;
  if (error.help) message += `; ${error.help}`;
  return { file: source.file, ...position, message };
}
