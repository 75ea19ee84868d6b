/** RFC 3986 characters: unreserved, reserved and `%`. Anything else is not a URI (and would not survive as `aud`). */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const MAX_LENGTH = 2048;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function loopback(hostname: string): boolean {
  return (
    hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * RFC 3986 §6.2.2.1-2: a percent-encoding in lower case, or of an unreserved character, is another spelling of a
 * URI that has it upper case, or not encoded at all.
 */
function needlessEncoding(value: string): boolean {
  for (const [, hex = ""] of value.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    if (hex !== hex.toUpperCase() || UNRESERVED.test(String.fromCharCode(Number.parseInt(hex, 16))))
      return true;
  }
  return false;
}

/**
 * Whether the URL parser writes `value` back as it is (but for the `/` it adds to an origin alone, the one
 * spelling RFC 9728 and MCP clients use), with no trailing-dot host, empty query or needless percent-encoding.
 * Otherwise the same resource would have several spellings, each another audience, and a policy or quota naming
 * one (`context.target`, `match.target`) would not see the others.
 */
function normal(value: string, url: URL): boolean {
  const written = url.href;
  if (written !== value && written !== `${value}/`) return false;
  return !url.hostname.endsWith(".") && !value.endsWith("?") && !needlessEncoding(value);
}

/**
 * Why a `resource` parameter (RFC 8707 §2) cannot be used, or null when it can: an absolute `https` URI (`http` on
 * loopback) without fragment or credentials, written with URI characters only and in normal form. It is used
 * verbatim as the access token's `aud` and the lease's target, so nothing is normalised: a value the URL parser
 * would rewrite (`https:host`, a backslash, an upper-case host, a default port, a dot segment) is refused rather
 * than guessed at.
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
  if (!normal(value, url))
    return "must be written in normal form (lower-case host, no default port, no dot segment, no needless percent-encoding, no empty query)";
  return null;
}
