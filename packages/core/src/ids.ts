import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Sortable, unguessable ids: 9 base36 chars of milliseconds then 16 random chars (~82 bits).
 * Safe as an STS RoleSessionName ([\w+=,.@-], 2-64) and in Redis keys.
 */
export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  const time = nowMs.toString(36).padStart(9, "0");
  const bytes = randomBytes(16);
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 36];
  return `${prefix}_${time}${rand}`;
}

type IdPrefix = "ls" | "tk" | "rv" | "ap" | "re";

/** Sorts before every id `newId(prefix)` gives at or after `nowMs`, and after every earlier one. */
export function idFloor(prefix: IdPrefix, nowMs: number): string {
  return `${prefix}_${Math.max(0, nowMs).toString(36).padStart(9, "0")}`;
}

/** When `newId` made this id (ms), or null for an id it did not make. */
export function idTime(id: string): number | null {
  const time = /^[a-z]{2}_([0-9a-z]{9})/.exec(id)?.[1];
  return time === undefined ? null : Number.parseInt(time, 36);
}
