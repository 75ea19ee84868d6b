import { readFileSync } from "node:fs";

/**
 * Whether the trust file at `path` configures a gateway, so that `leash start` runs one (the API's readiness waits
 * for it). Only the top-level key is looked at: the API and the gateway validate the section themselves and stop
 * with its problem. An unreadable or unparsable file has none (the API then stops on it too).
 */
export function hasGatewaySection(path: string | undefined): boolean {
  if (!path) return false;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return false;
  }
  if (/\.ya?ml$/i.test(path)) return /^gateway[ \t]*:/m.test(text);
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === "object" &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      Object.hasOwn(parsed, "gateway")
    );
  } catch {
    return false;
  }
}
