import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PolicyRequest } from "@leash/core";
import { type CompiledPolicySet, compilePolicySet } from "./compile.js";
import { type ActivePolicySet, activatePolicySet } from "./decide.js";

/** Test helpers: the example policy directory, throwaway policy directories and requests. */
export const EXAMPLES_DIR = fileURLToPath(new URL("../../../infra/policies/", import.meta.url));
const SCHEMA_PATH = join(EXAMPLES_DIR, "schema.cedarschema");

export async function exampleSchema(): Promise<string> {
  return readFile(SCHEMA_PATH, "utf8");
}

/** A temporary directory holding the example schema and the given files. */
export async function policyDir(
  files: Record<string, string>,
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "leash-policy-"));
  await writeFile(join(dir, "schema.cedarschema"), await exampleSchema());
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

let sets = 0;

/** Compiles policies (one file each) against the example schema and activates them under a fresh name. */
export async function activeSet(
  policies: Record<string, string>,
): Promise<{ compiled: CompiledPolicySet; active: ActivePolicySet }> {
  const schema = { file: SCHEMA_PATH, text: await exampleSchema() };
  const sources = Object.entries(policies).map(([file, text]) => ({ file, text }));
  const compiled = compilePolicySet(schema, sources);
  sets += 1;
  return { compiled, active: activatePolicySet(`test-${sets}`, compiled) };
}

type Overrides = Partial<Omit<PolicyRequest, "intent">> & { intent?: Partial<PolicyRequest["intent"]> };

/** A request inside working hours (Monday 10:00 UTC) for reading public data; override what a test varies. */
export function request(overrides: Overrides = {}): PolicyRequest {
  const { intent, ...rest } = overrides;
  return {
    agent: { id: "spiffe://corp.example/agent", trustDomain: "corp.example", path: "/agent", labels: {} },
    task: { id: "task-1", labels: {}, remainingSeconds: 3600, depth: 0, chain: [], breakGlass: false },
    provider: "leash-jwt",
    target: null,
    ttlSeconds: 300,
    environment: "production",
    now: new Date("2025-01-06T10:00:00Z"),
    exposure: { liveLeases: 0 },
    ...rest,
    intent: { action: "read", resource: "s3:bucket/key", sensitivity: "public", ...intent },
  };
}
