import { z } from "@hono/zod-openapi";

/** Form parameters are strings, each at most once (RFC 6749 §3.2); what each endpoint reads is in its description. */
const param = z.string().optional();

export const TokenForm = z
  .looseObject({
    grant_type: param.openapi({
      description: "`urn:ietf:params:oauth:grant-type:token-exchange` or `client_credentials`",
    }),
    subject_token: param.openapi({ description: "Token exchange: the agent's workload JWT" }),
    subject_token_type: param.openapi({ description: "`urn:ietf:params:oauth:token-type:jwt`" }),
    actor_token: param.openapi({
      description: "Token exchange, delegation: the delegating agent's workload JWT",
    }),
    actor_token_type: param.openapi({ description: "`urn:ietf:params:oauth:token-type:jwt`" }),
    requested_token_type: param.openapi({ description: "`urn:ietf:params:oauth:token-type:access_token`" }),
    client_assertion_type: param.openapi({
      description: "`urn:ietf:params:oauth:client-assertion-type:jwt-bearer`",
    }),
    client_assertion: param.openapi({
      description:
        "Client credentials: the agent's workload JWT whose `aud` holds the token endpoint or the issuer (never the API's audience), `exp` at most 10 minutes after `iat`",
    }),
    client_id: param.openapi({ description: "If sent, the workload identity's `sub`" }),
    resource: param.openapi({
      description: "RFC 8707, required: one absolute https URI (http on loopback), the token's `aud`",
    }),
    scope: param.openapi({ description: "`task:<task id>` and one `<action>:<resource>`, space-separated" }),
    authorization_details: param.openapi({
      description: 'RFC 9396: `[{"type":"leash_intent","task_id"?, ...Intent}]` (instead of scope)',
    }),
  })
  .openapi("TokenRequest");

export const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.enum(["Bearer", "DPoP"]),
    expires_in: z.number().int(),
    issued_token_type: z.literal("urn:ietf:params:oauth:token-type:access_token"),
    authorization_details: z.array(z.looseObject({ type: z.string(), task_id: z.string() })).optional(),
    scope: z.string().optional(),
  })
  .openapi("TokenResponse");

export const TokenParamForm = z
  .looseObject({
    token: param.openapi({ description: "The access token" }),
    token_type_hint: param.openapi({ description: "Ignored (RFC 7009 §2.1: only a hint)" }),
    client_assertion_type: param,
    client_assertion: param.openapi({
      description:
        "The caller's workload JWT as an RFC 7523 assertion (for the issuer, the token endpoint or this endpoint); or send it as `Authorization: Bearer`",
    }),
  })
  .openapi("TokenParam");

export const OAuthErrorBody = z
  .object({
    error: z.string(),
    error_description: z.string(),
    approval_id: z.string().optional().openapi({ description: "Step-up: the approval to wait for" }),
    quota: z.string().optional(),
    limit: z.string().optional(),
    max: z.number().int().optional(),
  })
  .openapi("OAuthError");

const errorContent = { "application/json": { schema: OAuthErrorBody } };
export const oauthErrorResponses = {
  400: {
    description: "RFC 6749 §5.2 error (`invalid_request`, `invalid_grant`, ...)",
    content: errorContent,
  },
  401: { description: "`invalid_client`: client authentication failed", content: errorContent },
  403: { description: "`access_denied`: the caller is suspended", content: errorContent },
  413: { description: "The body is over the limit", content: errorContent },
  429: {
    description:
      "A quota is full (`access_denied`) or too many requests (`temporarily_unavailable`); `Retry-After`",
    content: errorContent,
  },
  503: { description: "`temporarily_unavailable` (fail closed); `Retry-After`", content: errorContent },
} as const;
