import { OAuthError } from "./errors.js";
import { type RequestedIntent, requestedIntent } from "./intent-request.js";
import { resourceIndicatorProblem } from "./resource-indicator.js";

export const GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const GRANT_CLIENT_CREDENTIALS = "client_credentials";
export const TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt";
export const TOKEN_TYPE_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
export const ASSERTION_TYPE_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** How the caller proves who it is: the agent's workload JWT, as subject token or as client assertion. */
export type TokenGrant =
  | { type: "token-exchange"; subjectToken: string; actorToken: string | undefined }
  | { type: "client_credentials" };

export interface TokenRequest {
  grant: TokenGrant;
  /** RFC 7523 client authentication (required for client credentials, optional with token exchange). */
  clientAssertion: string | undefined;
  clientId: string | undefined;
  /** RFC 8707: the resource server the token is for; its `aud` and the lease's target. */
  resource: string;
  requested: RequestedIntent;
}

type Params = ReadonlyMap<string, string>;

/**
 * RFC 6749 §3.2: no parameter more than once (several `resource`s is RFC 8707 §2's `invalid_target`, as Leash
 * issues a token for exactly one). Unknown parameters are ignored, as RFC 6749 §3.2 requires.
 */
function singleValued(pairs: Iterable<readonly [string, string]>): Params {
  const params = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (params.has(name)) {
      if (name === "resource") throw new OAuthError("invalid_target", "exactly one resource is supported");
      throw new OAuthError("invalid_request", `parameter ${name} is sent more than once`);
    }
    params.set(name, value);
  }
  return params;
}

function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === "") throw new OAuthError("invalid_request", `${name} is required`);
  return value;
}

function exchangeGrant(params: Params): TokenGrant {
  const subjectToken = required(params, "subject_token");
  if (required(params, "subject_token_type") !== TOKEN_TYPE_JWT)
    throw new OAuthError("invalid_request", `subject_token_type must be ${TOKEN_TYPE_JWT} (a workload JWT)`);
  const requestedType = params.get("requested_token_type");
  if (requestedType !== undefined && requestedType !== TOKEN_TYPE_ACCESS_TOKEN)
    throw new OAuthError("invalid_request", `requested_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}`);
  const actorToken = params.get("actor_token");
  const actorType = params.get("actor_token_type");
  if (actorToken !== undefined && actorType !== TOKEN_TYPE_JWT)
    throw new OAuthError("invalid_request", `actor_token_type must be ${TOKEN_TYPE_JWT} with an actor_token`);
  if (actorToken === undefined && actorType !== undefined)
    throw new OAuthError("invalid_request", "actor_token_type without actor_token");
  // RFC 8693 `audience` names a logical target; Leash binds tokens to resource indicators only.
  if (params.has("audience")) throw new OAuthError("invalid_target", "use resource (RFC 8707), not audience");
  return { type: "token-exchange", subjectToken, actorToken };
}

function clientAssertionOf(params: Params, needed: boolean): string | undefined {
  const type = params.get("client_assertion_type");
  const assertion = params.get("client_assertion");
  if (params.has("client_secret"))
    throw new OAuthError("invalid_client", "client secrets are not supported: use private_key_jwt");
  if (type === undefined && assertion === undefined) {
    if (needed)
      throw new OAuthError(
        "invalid_client",
        "client authentication is required: a private_key_jwt client_assertion",
      );
    return undefined;
  }
  if (type !== ASSERTION_TYPE_JWT_BEARER)
    throw new OAuthError("invalid_client", `client_assertion_type must be ${ASSERTION_TYPE_JWT_BEARER}`);
  if (!assertion) throw new OAuthError("invalid_client", "client_assertion is required with its type");
  return assertion;
}

function resourceOf(params: Params): string {
  const resource = params.get("resource");
  if (resource === undefined) throw new OAuthError("invalid_target", "resource is required (RFC 8707)");
  const problem = resourceIndicatorProblem(resource);
  if (problem) throw new OAuthError("invalid_target", `resource ${problem}`);
  return resource;
}

/**
 * A token endpoint request from its form parameters, checked in the order a client can fix it: grant type, the
 * grant's own parameters, client authentication, resource, intent. Throws OAuthError.
 */
export function parseTokenRequest(pairs: Iterable<readonly [string, string]>): TokenRequest {
  const params = singleValued(pairs);
  const grantType = required(params, "grant_type");
  let grant: TokenGrant;
  if (grantType === GRANT_TOKEN_EXCHANGE) grant = exchangeGrant(params);
  else if (grantType === GRANT_CLIENT_CREDENTIALS) grant = { type: "client_credentials" };
  else throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} is not supported`);
  const clientAssertion = clientAssertionOf(params, grant.type === "client_credentials");
  const clientId = params.get("client_id");
  const resource = resourceOf(params);
  const requested = requestedIntent({
    scope: params.get("scope"),
    authorizationDetails: params.get("authorization_details"),
  });
  return { grant, clientAssertion, clientId, resource, requested };
}
