import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { type CompiledPolicySet, compilePolicySet, type PolicySource } from "./compile.js";
import { PolicyLoadError } from "./load-error.js";

export const SCHEMA_FILE = "schema.cedarschema";

export const LoadOptions = z.strictObject({
  /** Defaults to `schema.cedarschema` in the policy directory. */
  schemaPath: z.string().min(1).optional(),
});
export type LoadOptions = z.infer<typeof LoadOptions>;

/**
 * Reads every `*.cedar` file of `dir` (not its subdirectories) and the schema, then parses and validates them.
 * @throws PolicyLoadError naming the file, the line and the problem.
 */
export async function loadPolicyDir(dir: string, options: LoadOptions = {}): Promise<CompiledPolicySet> {
  const { schemaPath } = LoadOptions.parse(options);
  const root = resolve(dir);
  const schemaFile = schemaPath === undefined ? join(root, SCHEMA_FILE) : resolve(schemaPath);
  const schema = await readSource(schemaFile);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith(".cedar"))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw unreadable(root, error);
  }
  const sources = await Promise.all(names.map((name) => readSource(join(root, name))));
  return compilePolicySet(schema, sources);
}

async function readSource(file: string): Promise<PolicySource> {
  try {
    return { file, text: await readFile(file, "utf8") };
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): PolicyLoadError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PolicyLoadError([{ file, line: 0, column: 0, message: `cannot read: ${reason}` }]);
}
