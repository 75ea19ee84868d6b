/** RFC 3986 characters: unreserved, reserved and `%`. Anything else is not a URI (and would not survive as `aud`). */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const MAX_LENGTH = 2048;

function loopback(hostname: string): boolean {
  return (
    hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Why a `resource` parameter (RFC 8707 §2) cannot be used, or null when it can: an absolute `https` URI (`http` on
 * loopback) without fragment or credentials, written with URI characters only. It is used verbatim as the access
 * token's `aud` and the lease's target, so nothing is normalised: a value the URL parser would rewrite
 * (`https:host`, a backslash) is refused rather than guessed at.
 */
export function resourceIndicatorProblem(value: string): string | null {
  if (value.length === 0 || value.length > MAX_LENGTH) return `must be 1 to ${MAX_LENGTH} characters`;
  if (!URI_CHARACTERS.test(value)) return "must be a URI (RFC 3986 characters only)";
  if (!/^https?:\/\//.test(value)) return "must be an absolute https URI";
  if (value.includes("#")) return "must not have a fragment";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not an absolute URI";
  }
  if (url.username !== "" || url.password !== "") return "must not carry credentials";
  if (url.hostname === "") return "must name a host";
  if (url.protocol === "http:" && !loopback(url.hostname)) return "must use https (http only on loopback)";
  return null;
}
