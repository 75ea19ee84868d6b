/**
 * Why a request was refused, as RFC 6750 §3.1 and RFC 9449 §7.1 name it: `null` when no token was sent (no error
 * code then, §3.1), `unavailable` when the kit cannot tell whether the token was revoked (it fails closed).
 */
export type RefusalError =
  | null
  | "invalid_request"
  | "invalid_token"
  | "invalid_dpop_proof"
  | "insufficient_scope"
  | "unavailable";

export interface Refusal {
  ok: false;
  status: 400 | 401 | 403 | 503;
  error: RefusalError;
  /** A fixed sentence for people; never a token, a claim value or anything the caller sent. */
  description: string;
  headers: Record<string, string>;
}

export interface ChallengeParams {
  /** The RFC 9728 metadata URL every challenge names, so a client can discover the authorization server. */
  metadataUrl: string;
  /** The DPoP signing algorithms accepted; the DPoP challenge is added when the request used DPoP. */
  dpopAlgorithms: readonly string[];
}

export interface RefusalInput {
  error: RefusalError;
  description: string;
  /** The scope that would be sufficient, for `insufficient_scope`. */
  scope?: string;
  /** Whether the request presented its token with the DPoP scheme (or a DPoP-bound token). */
  dpop: boolean;
}

const STATUS: Record<Exclude<RefusalError, null>, Refusal["status"]> = {
  invalid_request: 400,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  insufficient_scope: 403,
  unavailable: 503,
};

/** RFC 6750 §3: attribute values are %x20-21 / %x23-5B / %x5D-7E; anything else is left out, never escaped. */
const SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function attributes(pairs: [string, string | undefined][]): string {
  return pairs
    .filter((pair): pair is [string, string] => pair[1] !== undefined && SAFE.test(pair[1]))
    .map(([name, value]) => `${name}="${value}"`)
    .join(", ");
}

/**
 * The `WWW-Authenticate` value: a Bearer challenge first (MCP clients read `resource_metadata` from it), and, when
 * the request used DPoP, a DPoP challenge with the accepted algorithms; the error goes with the scheme the request
 * used. A request without a token gets `Bearer resource_metadata="…"` alone.
 */
function challenge(params: ChallengeParams, input: RefusalInput): string {
  const errorCode = input.error === "unavailable" ? undefined : (input.error ?? undefined);
  const error: [string, string | undefined][] = [
    ["error", errorCode],
    ["error_description", errorCode ? input.description : undefined],
    ["scope", input.scope],
  ];
  const metadata: [string, string][] = [["resource_metadata", params.metadataUrl]];
  if (!input.dpop) return `Bearer ${attributes([...metadata, ...error])}`;
  const dpop = attributes([["algs", params.dpopAlgorithms.join(" ")], ...metadata, ...error]);
  return `Bearer ${attributes(metadata)}, DPoP ${dpop}`;
}

export function refuse(params: ChallengeParams, input: RefusalInput): Refusal {
  const status = input.error === null ? 401 : STATUS[input.error];
  const headers: Record<string, string> = { "www-authenticate": challenge(params, input) };
  if (input.error === "unavailable") headers["retry-after"] = "1";
  return { ok: false, status, error: input.error, description: input.description, headers };
}

/** The refusal as an HTTP answer: its status, challenge and a JSON body `{ error, error_description }`. */
export function refusalResponse(refusal: Refusal): Response {
  const error =
    refusal.error === "unavailable" ? "temporarily_unavailable" : (refusal.error ?? "unauthorized");
  return new Response(JSON.stringify({ error, error_description: refusal.description }), {
    status: refusal.status,
    headers: { ...refusal.headers, "content-type": "application/json", "cache-control": "no-store" },
  });
}
