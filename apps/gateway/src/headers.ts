import type { IncomingHttpHeaders } from "node:http";

export type HeaderMap = Record<string, string | string[]>;

/** RFC 9110 §7.6.1 connection-specific headers, plus the proxy ones: they never cross the gateway. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Agent headers the upstream never sees: the agent's own credential (`authorization`), what the gateway sets
 * itself (`host`, `accept-encoding`), what claims to describe the client or the route (`forwarded`,
 * `x-forwarded-*`, `x-real-ip`, `via`), and what some servers obey to change the method or path after the gateway
 * checked them (`x-http-method-override`, `x-original-url`, ...). `expect` is answered by the gateway itself.
 * Vault's request controls go too, whatever the upstream (a header upstream may inject X-Vault-Token): with
 * `x-vault-wrap-ttl` Vault answers with a wrapping token the agent unwraps at Vault itself, which would hand it the
 * injected token (`auth/token/lookup-self`) past every scan of the answer; `x-vault-namespace` moves the checked
 * path into a namespace the intent never named (a namespace goes in the path, where it is checked).
 */
const STRIPPED: ReadonlySet<string> = new Set([
  "authorization",
  "host",
  "accept-encoding",
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "via",
  "expect",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "x-original-url",
  "x-rewrite-url",
  "x-original-uri",
  "x-vault-wrap-ttl",
  "x-vault-wrap-format",
  "x-vault-namespace",
  "x-vault-policy-override",
]);

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  return new Set(
    text
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The agent's headers as the upstream gets them, from Node's raw list (so repeated headers stay repeated): hop-by-
 * hop headers and those its `Connection` names are dropped, then the stripped set and `reserved` (the names the
 * upstream's credential is injected under). Bodies go out unencoded (`accept-encoding: identity`), so the gateway
 * can look for the secret in what comes back.
 */
export function forwardHeaders(rawHeaders: readonly string[], reserved: ReadonlySet<string>): HeaderMap {
  const out: HeaderMap = {};
  // One pass over the raw list; what a `Connection` header names (rare) is dropped from the result afterwards.
  const connection: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? "").toLowerCase();
    const value = rawHeaders[i + 1] ?? "";
    if (name === "connection") connection.push(value);
    // CGI-style servers (PHP, Rack, WSGI) read `X_HTTP_Method_Override` as `X-HTTP-Method-Override`.
    const dashed = name.includes("_") ? name.replaceAll("_", "-") : name;
    if (HOP_BY_HOP.has(dashed) || STRIPPED.has(dashed) || reserved.has(dashed)) continue;
    if (dashed.startsWith("x-forwarded-") || dashed === "x-leash-gateway") continue;
    const existing = out[name];
    out[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  if (connection.length > 0) for (const named of connectionTokens(connection)) delete out[named];
  out["accept-encoding"] = "identity";
  return out;
}

/**
 * Response headers the agent never gets: `x-leash-gateway` (only the gateway's own answers carry it, so an upstream
 * cannot pass its answer off as a refusal), and cookies. A session an upstream opens for the request (as servers
 * with HTTP Basic or API keys often do) is a credential made from the injected secret: the agent would call the
 * upstream with it directly, outside its intent and past the lease's end.
 */
const WITHHELD: ReadonlySet<string> = new Set(["x-leash-gateway", "set-cookie", "set-cookie2"]);

/**
 * The upstream's response headers as the agent gets them: hop-by-hop and withheld ones dropped, and every value
 * through `redact`.
 */
export function relayHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  redact: (value: string) => string,
): HeaderMap {
  const named = connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || WITHHELD.has(name)) continue;
    out[name] = Array.isArray(value) ? value.map(redact) : redact(value);
  }
  return out;
}
