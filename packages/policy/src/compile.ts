import { basename } from "node:path";
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
import { type AttributeUsage, attributeUsage, namedEntityTypes } from "./usage.js";

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
  /** Entity types whose uids the policy names by a literal. */
  namedTypes: readonly string[];
}

/** A parsed, schema-validated policy set: plain data, ready to be handed to the Cedar engine. */
export interface CompiledPolicySet {
  schema: PolicySource;
  /** Keyed by `@id`, which is also the Cedar policy id, so Cedar's diagnostics name policies by `@id`. */
  policies: ReadonlyMap<string, CompiledPolicy>;
  /** The schema's concrete actions and their groups. */
  actions: ActionHierarchy;
  files: readonly string[];
  /** The policy files as given, in order: what the set was compiled from. */
  sources: readonly PolicySource[];
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
  const named = new NamedPolicies();
  for (const source of sources) {
    const split = splitPolicies(source, problems);
    if (split === null) continue;
    for (const { policy, part } of split) {
      const first = policy && policies.get(policy.id);
      if (policy && first === undefined) {
        policies.set(policy.id, policy);
        named.add(policy.id, part);
        continue;
      }
      if (policy && first) {
        const message = `duplicate @id "${policy.id}" (first in ${first.file}:${first.line})`;
        problems.push(at(source, policy.line, message));
      }
      // Still validated, so one run reports all of its problems, under a name a person can find.
      named.add(`${basename(part.source.file)}:${part.line}`, part);
    }
  }

  // One validation for every policy that parsed, each under its @id (or file:line): Cedar's diagnostics then name
  // policies as the files do, instead of by the positional ids (policy0, policy1, ...) it gives a policy set text.
  const answer = validate({
    schema: schemaJson.json,
    policies: { staticPolicies: named.texts() },
    validationSettings: { mode: "strict" },
  });
  if (answer.type === "failure") problems.push(...answer.errors.map((e) => named.problemOf(undefined, e)));
  else problems.push(...answer.validationErrors.map((v) => named.problemOf(v.policyId, v.error)));
  if (problems.length > 0) throw new PolicyLoadError(problems);
  const warnings =
    answer.type === "success"
      ? answer.validationWarnings.map((v) => named.problemOf(v.policyId, v.error))
      : [];
  return { schema, policies, actions, files: sources.map((s) => s.file), sources, warnings };
}

/** One static policy as it stands in its file. */
interface PolicyPart {
  source: PolicySource;
  text: string;
  line: number;
  /** UTF-8 byte offset of the policy's text in its file (Cedar locates problems in bytes of the text it got). */
  byte: number;
}

/** The policies handed to Cedar's validator by name, and the way back from a name and offset to file and line. */
class NamedPolicies {
  private readonly parts = new Map<string, PolicyPart>();

  add(name: string, part: PolicyPart): void {
    let unique = name;
    for (let n = 2; this.parts.has(unique); n++) unique = `${name}#${n}`;
    this.parts.set(unique, part);
  }

  texts(): Record<string, string> {
    return Object.fromEntries([...this.parts].map(([name, part]) => [name, part.text]));
  }

  problemOf(policyId: string | undefined, error: DetailedError): PolicyProblem {
    const part = policyId === undefined ? undefined : this.parts.get(policyId);
    if (part === undefined) return { file: "<policies>", line: 1, column: 1, message: error.message };
    return problemOf(part.source, error, part.byte);
  }
}

/**
 * Splits one file into its policies and reads their annotations; problems are appended to `problems`. Each part
 * comes with its policy when the annotations are valid. Returns null when the file does not parse.
 */
function splitPolicies(
  source: PolicySource,
  problems: PolicyProblem[],
): Array<{ policy: CompiledPolicy | undefined; part: PolicyPart }> | null {
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
  const out: Array<{ policy: CompiledPolicy | undefined; part: PolicyPart }> = [];
  for (const text of parts.policies) {
    const part = partOf(source, text);
    const line = part.line;
    const json = policyToJson(text);
    if (json.type === "failure") {
      problems.push(...json.errors.map((e) => at(source, line, e.message)));
      continue;
    }
    const effect = json.json.effect;
    const annotations = parseAnnotations(effect, json.json.annotations);
    if (!annotations.ok) {
      problems.push(...annotations.problems.map((message) => at(source, line, message)));
      out.push({ policy: undefined, part });
      continue;
    }
    const policy: CompiledPolicy = {
      id: annotations.id,
      effect,
      file: source.file,
      line,
      text,
      obligations: annotations.obligations,
      actionScope: actionScopeOf(json.json.action),
      usage: attributeUsage(json.json),
      namedTypes: namedEntityTypes(json.json),
    };
    out.push({ policy, part });
  }
  // Cedar returns the parts sorted by its generated ids (policy0, policy1, policy10, ...): restore file order.
  return out.sort((a, b) => a.part.byte - b.part.byte);
}

/** Cedar hands back each policy's exact source text, so its position in the file locates it. */
function partOf(source: PolicySource, text: string): PolicyPart {
  const index = Math.max(0, source.text.indexOf(text));
  return {
    source,
    text,
    line: positionAtIndex(source.text, index).line,
    byte: Buffer.byteLength(source.text.slice(0, index), "utf8"),
  };
}

function lineOf(source: PolicySource, policyText: string): number {
  return partOf(source, policyText).line;
}

function at(source: PolicySource, line: number, message: string): PolicyProblem {
  return { file: source.file, line, column: 1, message };
}

/** `shift`: where the text Cedar located the problem in starts in the file, in bytes. */
function problemOf(source: PolicySource, error: DetailedError, shift = 0): PolicyProblem {
  const location = error.sourceLocations?.[0];
  const position = location ? positionAtByte(source.text, location.start + shift) : { line: 1, column: 1 };
  let message = error.message;
  if (location?.label) message += ` (${location.label})`;
  if (error.help) message += `; ${error.help}`;
  return { file: source.file, ...position, message };
}
