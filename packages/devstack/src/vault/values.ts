import { randomBytes } from "node:crypto";
import { badRequest } from "./reply.js";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function base62(length: number): string {
  let out = "";
  for (const byte of randomBytes(length)) out += BASE62[byte % 62];
  return out;
}

/** Service tokens carry the `hvs.` prefix since Vault 1.10; the random part is base62. */
export function newServiceToken(): string {
  return `hvs.${base62(24)}`;
}

export function newAccessor(): string {
  return base62(24);
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Vault's `parseutil.ParseDurationSecond`: an integer (or a string of digits) is seconds, otherwise a Go duration
 * such as "1h30m" or "90s" (plus `d` for days). Fractions of a second are dropped.
 */
export function parseDurationSeconds(value: unknown, field: string): number {
  if (value === undefined || value === null || value === "") return 0;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw badRequest(`invalid ${field}`);
    return Math.trunc(value);
  }
  if (typeof value !== "string") throw badRequest(`invalid ${field}: expected a duration`);
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
  const parts = /^(-?)((?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)$/.exec(text);
  if (!parts) throw badRequest(`time: invalid duration "${text}"`);
  let seconds = 0;
  for (const match of (parts[2] ?? "").matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    const amount = Number.parseFloat(match[1] ?? "0");
    const unit = match[2] ?? "s";
    seconds += unit === "ms" ? amount / 1000 : amount * (UNIT_SECONDS[unit] ?? 1);
  }
  return (parts[1] === "-" ? -1 : 1) * Math.trunc(seconds);
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A time as Go's ptypes.TimestampString writes it (RFC 3339 with nanoseconds, trailing zeros dropped): the KV
 * engine's `created_time` is `2026-03-01T10:00:01.25Z`, or `2026-03-01T10:00:00Z` on a whole second.
 */
export function goTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, "Z");
}

/** Go's time.Duration String for whole seconds: `0s`, `45s`, `1m30s`, `3h25m19s`. */
export function goDuration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  const total = Math.abs(Math.trunc(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** Vault decodes request bodies with mapstructure's WeakDecode: "true"/"1" are booleans, "5" is a number. */
export function weakBool(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1" || value === 1) return true;
  if (value === "false" || value === "0" || value === 0 || value === "") return false;
  throw badRequest(`Error decoding request: '${field}' expected a boolean`);
}

export function weakInt(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw badRequest(`Error decoding request: '${field}' expected an integer`);
  }
  return n;
}

export function weakString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw badRequest(`Error decoding request: '${field}' expected a string`);
}

/** Policies arrive as a JSON array or as a comma-separated string. */
export function weakStringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    return value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.map((v) => v.trim());
  throw badRequest(`Error decoding request: '${field}' expected a list of strings`);
}

export function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest(`Error decoding request: '${field}' expected a map`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    const s = weakString(v, `${field}[${k}]`);
    if (s !== undefined) out[k] = s;
  }
  return out;
}
