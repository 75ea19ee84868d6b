import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Io } from "./io.js";

/** Exit codes every command shares. */
export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3 } as const;

/** Wrong or missing arguments: exit 2 with a pointer to the command's help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** No identity, or one the API refuses: exit 3. */
export class AuthError extends Error {
  override readonly name = "AuthError";
}

export interface Command {
  /** The words that select it, e.g. `["leases", "ls"]`. */
  path: readonly string[];
  summary: string;
  /** Full `--help` text: usage, options, examples. */
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with the conventions of every command: unknown flags and extra arguments are usage errors. */
export function parse<const O extends Options>(argv: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length > positionals)
      throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

/** `--help`/`-h` anywhere: the dispatcher prints the command's help instead of running it. */
export const wantsHelp = (argv: string[]) => argv.includes("--help") || argv.includes("-h");

/** A positive integer flag, or a usage error naming it. */
export function intFlag(name: string, value: string | undefined, fallback: number, max = 1_000_000): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new UsageError(`--${name} must be an integer from 1 to ${max}`);
  return Number(value);
}

/** One of a closed set of values, or a usage error listing them. */
export function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of: ${allowed.join(", ")}`);
  return value as T;
}
