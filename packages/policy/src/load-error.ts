/** One problem found while loading a policy set, located in its source file (1-based line and column). */
export interface PolicyProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/**
 * A policy set that cannot be used. Its message lists every problem as `file:line:column: message`, so an
 * operator can fix them all in one pass instead of one per restart.
 */
export class PolicyLoadError extends Error {
  override readonly name = "PolicyLoadError";
  readonly problems: readonly PolicyProblem[];
  /** File and line of the first problem, for callers that report just one. */
  readonly file: string;
  readonly line: number;

  constructor(problems: readonly PolicyProblem[]) {
    const first = problems[0] ?? { file: "<unknown>", line: 0, column: 0, message: "unknown problem" };
    super(problems.length === 0 ? formatProblem(first) : problems.map(formatProblem).join("\n"));
    this.problems = problems.length === 0 ? [first] : problems;
    this.file = first.file;
    this.line = first.line;
  }
}

export function formatProblem(problem: PolicyProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** Line and column of a UTF-8 byte offset: Cedar reports source locations in bytes, not UTF-16 units. */
export function positionAtByte(text: string, byteOffset: number): { line: number; column: number } {
  const bytes = Buffer.from(text, "utf8");
  const before = bytes.subarray(0, Math.max(0, Math.min(byteOffset, bytes.length))).toString("utf8");
  return positionAtIndex(before, before.length);
}

/** Line and column of a JavaScript string index. */
export function positionAtIndex(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, index));
  const lines = before.split("\n");
  const last = lines[lines.length - 1] ?? "";
  return { line: lines.length, column: last.length + 1 };
}
