import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@leash/devstack";
import { z } from "zod";

/** Where `pnpm dev` keeps its keys and trust file (gitignored). */
const DEV_DIR = process.env.LEASH_DEV_DIR ?? join(REPO_ROOT, ".dev");

export const DevState = z.object({
  api_url: z.string(),
  issuer_url: z.string(),
  issuer_key_file: z.string(),
  redis_url: z.string(),
  pid: z.number().int(),
});
export type DevState = z.infer<typeof DevState>;

export function devPath(name: string): string {
  mkdirSync(DEV_DIR, { recursive: true, mode: 0o700 });
  return join(DEV_DIR, name);
}

export function writeDevState(state: DevState): void {
  writeFileSync(devPath("stack.json"), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function readDevState(): DevState {
  const path = join(DEV_DIR, "stack.json");
  if (!existsSync(path)) throw new Error("no dev stack found: start one with `pnpm dev` first");
  return DevState.parse(JSON.parse(readFileSync(path, "utf8")));
}
