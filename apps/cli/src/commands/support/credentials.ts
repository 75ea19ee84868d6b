import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { readDevState } from "../dev-state.js";
import { UsageError } from "./command.js";

/** What `leash login` stores. The token is a secret: it is written with mode 0600 and never printed. */
export const StoredCredentials = z.object({
  api_url: z.url({ protocol: /^https?$/ }),
  token: z.string().min(1),
});
export type StoredCredentials = z.infer<typeof StoredCredentials>;

/** `$XDG_CONFIG_HOME/leash/credentials.json`, defaulting to `~/.config` as the XDG base directory spec says. */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "leash", "credentials.json");
}

export function readCredentials(env: NodeJS.ProcessEnv): StoredCredentials | undefined {
  const path = credentialsPath(env);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new UsageError(`${path} is not valid JSON: run \`leash login\` again`);
  }
  const parsed = StoredCredentials.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`${path} is not a Leash credentials file: run \`leash login\` again`);
  return parsed.data;
}

/** Written to a private temporary file then renamed, so the token is never readable by others, even briefly. */
export function writeCredentials(env: NodeJS.ProcessEnv, credentials: StoredCredentials): string {
  const path = credentialsPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return path;
}

export function removeCredentials(env: NodeJS.ProcessEnv): string | undefined {
  const path = credentialsPath(env);
  if (!existsSync(path)) return undefined;
  rmSync(path);
  return path;
}

/** The API URL of a running `pnpm dev` on this machine, if there is one. */
export function devStackApiUrl(): string | undefined {
  try {
    const state = readDevState();
    process.kill(state.pid, 0);
    return state.api_url;
  } catch {
    return undefined;
  }
}

export interface Resolved {
  apiUrl: string | undefined;
  token: string | undefined;
}

/** Environment first (`LEASH_API_URL`, `LEASH_TOKEN`), then the stored login, then a running dev stack's URL. */
export function resolveCredentials(env: NodeJS.ProcessEnv): Resolved {
  const stored = readCredentials(env);
  return {
    apiUrl: env.LEASH_API_URL || stored?.api_url || devStackApiUrl(),
    token: env.LEASH_TOKEN || stored?.token,
  };
}
