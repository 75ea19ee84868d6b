import { isAbsolute, relative } from "node:path";
import { createPolicyEngine, type PolicyEngine, PolicyLoadError, type PolicyProblem } from "@leash/policy";
import type { Io, Paint } from "./io.js";

/** The example set of the repository: what `pnpm dev` decides with. */
export const EXAMPLE_POLICY_DIR = "infra/policies";

/** The directory given, else the broker's own (`LEASH_POLICY_DIR`), else the example set. */
export function policyDirOf(given: string | undefined, env: NodeJS.ProcessEnv): string {
  return given || env.LEASH_POLICY_DIR || EXAMPLE_POLICY_DIR;
}

/** A path relative to the working directory when it lies under it: shorter, and still clickable in an editor. */
export function displayPath(file: string, cwd = process.cwd()): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

/** `file:line:column: message`, the form compilers use, so editors and CI annotators can jump to it. */
export function problemLine(problem: PolicyProblem, cwd = process.cwd()): string {
  return `${displayPath(problem.file, cwd)}:${problem.line}:${problem.column}: ${problem.message}`;
}

export function problemsJson(problems: readonly PolicyProblem[], cwd = process.cwd()) {
  return problems.map((p) => ({ ...p, file: displayPath(p.file, cwd) }));
}

/** Prints why a policy set does not load: every problem on stdout, one per line (JSON with `json`). */
export function writeLoadError(io: Io, p: Paint, dir: string, error: PolicyLoadError, json: boolean): void {
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ok: false, dir, problems: problemsJson(error.problems) }, null, 2)}\n`,
    );
    return;
  }
  const count = error.problems.length;
  io.stdout.write(`${p.red(`${dir}: invalid`)} (${count} ${count === 1 ? "problem" : "problems"})\n`);
  for (const problem of error.problems) io.stdout.write(`${problemLine(problem)}\n`);
}

/**
 * Loads `dir` as the broker would. A set that does not load is reported (every problem with file and line) and
 * the result is undefined; any other error propagates.
 */
export async function loadDecider(
  io: Io,
  p: Paint,
  dir: string,
  json: boolean,
): Promise<PolicyEngine | undefined> {
  try {
    return await createPolicyEngine({ dir });
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    writeLoadError(io, p, dir, error, json);
    return undefined;
  }
}
