import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { PolicySetSnapshot } from "@leash/core";
import { type CompiledPolicySet, compilePolicySet } from "./compile.js";
import { SCHEMA_FILE } from "./load.js";

const snapshots = new WeakMap<CompiledPolicySet, PolicySetSnapshot>();

/**
 * The set as plain text under a digest of its schema and each file's name and text: the same files give the same
 * id in every process, so a worker can decide with exactly the set an API process loaded.
 */
export function snapshotOf(compiled: CompiledPolicySet): PolicySetSnapshot {
  const known = snapshots.get(compiled);
  if (known) return known;
  const files: Record<string, string> = {};
  for (const source of [...compiled.sources].sort((a, b) => compare(basename(a.file), basename(b.file))))
    files[basename(source.file)] = source.text;
  const snapshot = { id: policySetId(compiled.schema.text, files), schema: compiled.schema.text, files };
  snapshots.set(compiled, snapshot);
  return snapshot;
}

function policySetId(schema: string, files: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256").update(schema);
  for (const name of Object.keys(files).sort(compare)) hash.update(`\0${name}\0${files[name]}`);
  return `ps_${hash.digest("base64url").slice(0, 22)}`;
}

/**
 * Compiles a snapshot, or a candidate set (file name -> text) against a loaded schema.
 * @throws PolicyLoadError naming the file (as named in the snapshot), the line and the problem.
 */
export function compileSnapshot(snapshot: Pick<PolicySetSnapshot, "schema" | "files">): CompiledPolicySet {
  const names = Object.keys(snapshot.files).sort(compare);
  return compilePolicySet(
    { file: SCHEMA_FILE, text: snapshot.schema },
    names.map((file) => ({ file, text: snapshot.files[file] ?? "" })),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
