import { createLeashClient, type LeashClient } from "@leash/sdk";
import { AuthError } from "./command.js";
import { resolveCredentials } from "./credentials.js";
import type { Io } from "./io.js";

/** The SDK client for the logged-in identity; exit 3 with what to do when there is none. */
export function clientFor(io: Io, options: { timeoutMs?: number } = {}): LeashClient {
  const { apiUrl, token } = resolveCredentials(io.env);
  if (!apiUrl) throw new AuthError("no API URL: run `leash login --api <url>` or set LEASH_API_URL");
  if (!token) throw new AuthError("not logged in: run `leash login` or set LEASH_TOKEN");
  try {
    return createLeashClient({ baseUrl: apiUrl, token, ...options });
  } catch {
    throw new AuthError(`the API URL '${apiUrl}' is not an http(s) URL: run \`leash login --api <url>\``);
  }
}
