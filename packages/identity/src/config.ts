import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { Algorithm } from "./algorithms.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

const SubjectPattern = z.string().min(1);

const JwksUri = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  // Plain HTTP would let anyone on the path substitute keys; it is accepted only on loopback for the dev stack.
  .refine((uri) => new URL(uri).protocol === "https:" || LOOPBACK_HOSTS.has(new URL(uri).hostname), {
    error: "must use https (plain http is accepted only for loopback addresses)",
  });

const IssuerEntry = z
  .strictObject({
    issuer: z.string().min(1),
    jwks_uri: JwksUri.optional(),
    jwks_file: z.string().min(1).optional(),
    algorithms: z.array(Algorithm).nonempty().optional(),
    subject_prefixes: z.array(SubjectPattern).nonempty().optional(),
  })
  .check((ctx) => {
    const { jwks_uri, jwks_file } = ctx.value;
    if ((jwks_uri === undefined) === (jwks_file === undefined)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "exactly one of jwks_uri and jwks_file is required",
      });
    }
  });

const RoleEntries = z.array(SubjectPattern).default([]);

/**
 * The trust keys of the configuration file. Other top-level keys belong to other components and are ignored;
 * inside these keys unknown names are errors, because a misspelt security setting must not be silently dropped.
 */
export const TrustConfig = z.object({
  audience: z.string().min(1),
  issuers: z
    .array(IssuerEntry)
    .nonempty()
    .check((ctx) => {
      const seen = new Set<string>();
      ctx.value.forEach((entry, index) => {
        if (seen.has(entry.issuer)) {
          ctx.issues.push({
            code: "custom",
            input: entry.issuer,
            path: [index, "issuer"],
            message: `duplicate issuer ${entry.issuer}`,
          });
        }
        seen.add(entry.issuer);
      });
    }),
  roles: z
    .strictObject({ orchestrator: RoleEntries, security: RoleEntries, agent: RoleEntries })
    .default({ orchestrator: [], security: [], agent: [] }),
});
export type TrustConfig = z.infer<typeof TrustConfig>;
export type IssuerConfig = TrustConfig["issuers"][number];

function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * Validates the trust keys of a parsed configuration file. Errors name each offending key path
 * (e.g. `issuers[1].jwks_uri`); relative `jwks_file` paths resolve against `baseDir`, the file's directory.
 */
export function parseTrustConfig(raw: unknown, baseDir: string): TrustConfig {
  const result = TrustConfig.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${keyPath(issue.path)}: ${issue.message}`);
    throw new Error(`invalid trust configuration: ${lines.join("; ")}`);
  }
  const config = result.data;
  const issuers = config.issuers.map((entry) =>
    entry.jwks_file === undefined || isAbsolute(entry.jwks_file)
      ? entry
      : { ...entry, jwks_file: resolve(baseDir, entry.jwks_file) },
  );
  return { ...config, issuers: issuers as TrustConfig["issuers"] };
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Where and what, without quoting the text: a config file may hold other components' secrets. */
function syntaxProblem(text: string, error: unknown, yaml: boolean): string {
  if (yaml && error instanceof YAMLParseError) {
    const at = error.linePos?.[0];
    return at ? `${error.code} at line ${at.line}, column ${at.col}` : error.code;
  }
  const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
  if (position !== undefined) return `syntax error at ${lineColumn(text, Number(position))}`;
  const token = error instanceof Error ? /^Unexpected token '.'/.exec(error.message)?.[0] : undefined;
  if (token !== undefined) return token.toLowerCase();
  return "syntax error (or unexpected end of input)";
}

/** Reads a configuration file: YAML when it ends in `.yaml`/`.yml`, JSON otherwise. */
export async function loadConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    throw new Error(`cannot read config file ${path}: ${reason}`, { cause: error });
  }
  const yaml = /\.ya?ml$/i.test(path);
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new Error(
      `config file ${path} is not valid ${yaml ? "YAML" : "JSON"}: ${syntaxProblem(text, error, yaml)}`,
    );
  }
}
