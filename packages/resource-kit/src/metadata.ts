import { resourceIndicatorProblem } from "@leash/core/resource-indicator";
import { z } from "zod";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** A resource or issuer identifier the kit cannot serve: a configuration error, raised at creation. */
export class InvalidIdentifier extends Error {
  override readonly name = "InvalidIdentifier";
}

/**
 * Checks a resource or issuer identifier: an absolute `https` URL (`http` on loopback, for development) without
 * query or fragment (RFC 9728 §1.2, RFC 8414 §2). Returned as given, never normalised: `aud` and `iss` are
 * compared as strings with what the authorization server put there, verbatim. Throws naming the option.
 */
export function identifierUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidIdentifier(`${name} must be an absolute URL`);
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  if (!secure) throw new InvalidIdentifier(`${name} must be an https URL (http only on loopback)`);
  if (url.search || url.hash || value.includes("#") || value.includes("?"))
    throw new InvalidIdentifier(`${name} must have no query or fragment`);
  if (url.username || url.password) throw new InvalidIdentifier(`${name} must have no user information`);
  // Leash issues tokens only for a resource in normal form: any other spelling would never be an `aud` here.
  const problem = name === "resource" ? resourceIndicatorProblem(value) : null;
  if (problem) throw new InvalidIdentifier(`${name} ${problem}`);
  return value;
}

/**
 * Where the metadata of an identifier lives: the well-known segment goes between the origin and the path
 * (RFC 9728 §3.1, RFC 8414 §3.1), so `https://a.example/mcp` has its resource metadata at
 * `https://a.example/.well-known/oauth-protected-resource/mcp`.
 */
export function wellKnownUrl(
  identifier: string,
  suffix: "oauth-protected-resource" | "oauth-authorization-server",
): string {
  const url = new URL(identifier);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/${suffix}${path}`;
}

/** RFC 9728 §2: what a client reads to learn which authorization server issues tokens for this resource. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ["header"];
  [extension: string]: unknown;
}

export function protectedResourceMetadata(
  resource: string,
  issuer: string,
  extra: Readonly<Record<string, unknown>> = {},
): ProtectedResourceMetadata {
  // The three fields are the contract; extra ones (resource_name, scopes_supported...) may not replace them.
  return { ...extra, resource, authorization_servers: [issuer], bearer_methods_supported: ["header"] };
}

/** The fields of Leash's authorization server metadata (RFC 8414) the kit relies on. */
const AuthorizationServerMetadata = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.url(),
  leash_revoked_tokens_endpoint: z.url().optional(),
  dpop_signing_alg_values_supported: z.array(z.string()).optional(),
});

export interface AuthorizationServer {
  jwksUri: string;
  /** Absent when the authorization server publishes no revocation feed (then the kit cannot start without one). */
  revokedTokensEndpoint: string | undefined;
}

/**
 * Reads the authorization server's metadata and checks that it names the issuer it was asked for (RFC 8414
 * §3.3): metadata served for another issuer would let that issuer's keys sign tokens this resource accepts.
 */
export async function loadAuthorizationServer(
  issuer: string,
  fetchFn: typeof fetch,
  signal: AbortSignal,
): Promise<AuthorizationServer> {
  const url = wellKnownUrl(issuer, "oauth-authorization-server");
  const response = await fetchFn(url, { headers: { accept: "application/json" }, signal, redirect: "error" });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`authorization server metadata at ${url} answered ${response.status}`);
  }
  const parsed = AuthorizationServerMetadata.safeParse(await response.json());
  if (!parsed.success) throw new Error(`authorization server metadata at ${url} is malformed`);
  if (parsed.data.issuer !== issuer)
    throw new Error(`authorization server metadata at ${url} names another issuer than ${issuer}`);
  return { jwksUri: parsed.data.jwks_uri, revokedTokensEndpoint: parsed.data.leash_revoked_tokens_endpoint };
}
