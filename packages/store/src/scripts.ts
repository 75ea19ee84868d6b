import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";

const SCRIPTS = {
  createPending: 8,
  activate: 4,
  abort: 5,
  requestRevocation: 1,
  settle: 5,
  revokeFailed: 2,
  claimDue: 1,
  createTask: 3,
  endTask: 3,
} as const;

type ScriptName = keyof typeof SCRIPTS;
const FILES: Record<ScriptName, string> = {
  createPending: "create_pending",
  activate: "activate",
  abort: "abort",
  requestRevocation: "request_revocation",
  settle: "settle",
  revokeFailed: "revoke_failed",
  claimDue: "claim_due",
  createTask: "create_task",
  endTask: "end_task",
};

export type ScriptReply = string | number | null | ScriptReply[];
export type ScriptRunner = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<ScriptReply>;
export type Scripts = Record<ScriptName, ScriptRunner>;

/** Registers the Lua transitions on a connection (EVALSHA with a transparent EVAL fallback, via ioredis). */
export function loadScripts(redis: Redis): Scripts {
  const entries = (Object.keys(SCRIPTS) as ScriptName[]).map((name) => {
    const lua = readFileSync(new URL(`./lua/${FILES[name]}.lua`, import.meta.url), "utf8");
    const command = `leash_${name}`;
    redis.defineCommand(command, { numberOfKeys: SCRIPTS[name], lua });
    const runner: ScriptRunner = (keys, args) => {
      const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<ScriptReply>>)[
        command
      ];
      if (!fn) throw new Error(`script ${command} not registered`);
      return fn.call(redis, ...keys, ...args);
    };
    return [name, runner] as const;
  });
  return Object.fromEntries(entries) as Scripts;
}
