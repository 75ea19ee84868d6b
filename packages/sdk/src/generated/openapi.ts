/**
 * The Leash v1 API's wire types, generated from the /openapi.json the API serves (pnpm generate:sdk-types).
 * Do not edit: apps/api/src/openapi-sdk-types.int.test.ts fails when this file and the API drift apart.
 */

export interface paths {
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Public keys of Leash task tokens: the current signing key and the previous ones, so rotation does not break verifiers. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description JWK set */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            keys: {
                                [key: string]: unknown;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/oauth-authorization-server": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description RFC 8414 authorization server metadata, every URL under LEASH_PUBLIC_URL (with a path `/p`, served at `/.well-known/oauth-authorization-server/p`). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Metadata */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AuthorizationServerMetadata"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/oauth-protected-resource/mcp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description RFC 9728 metadata of Leash's MCP endpoint (`/mcp`, Streamable HTTP, JSON-RPC as the MCP specification describes it): the resource identifier tokens must carry as `aud`, and Leash as its authorization server. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Protected Resource Metadata */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ProtectedResourceMetadata"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Process up */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ok: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/authorize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Listed in the metadata because MCP clients require an authorization endpoint; there is no user-facing flow, so it always answers `400 unsupported_response_type`. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Always */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
            };
        };
        put?: never;
        /** @description Listed in the metadata because MCP clients require an authorization endpoint; there is no user-facing flow, so it always answers `400 unsupported_response_type`. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Always */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/introspect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description RFC 7662 for access tokens, by any trusted identity: active while its lease is. A v1 task token is never an active access token (use /v1/introspect for those). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/x-www-form-urlencoded": components["schemas"]["TokenParam"];
                };
            };
            responses: {
                /** @description Token state */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AccessTokenIntrospection"];
                    };
                };
                /** @description RFC 6749 §5.2 error (`invalid_request`, `invalid_grant`, ...) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `invalid_client`: client authentication failed */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `access_denied`: the caller is suspended */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description The body is over the limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description A quota is full (`access_denied`) or too many requests (`temporarily_unavailable`); `Retry-After` */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `temporarily_unavailable` (fail closed); `Retry-After` */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/revocations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description The access tokens that ended before their `exp`, in the order they ended, for resource servers that verify tokens locally (advertised as `leash_revoked_tokens_endpoint`). Open, like a revocation list: token ids and expiries only, never an audience, subject, task or token. `after` is the `cursor` of an earlier answer; `has_more` says to ask again at once. Entries stay until 30 s after their `exp`. */
        get: {
            parameters: {
                query?: {
                    after?: string;
                    /** @description 1 to 1000 (default 1000) */
                    limit?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Entries after the cursor */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RevokedTokens"];
                    };
                };
                /** @description RFC 6749 §5.2 error (`invalid_request`, `invalid_grant`, ...) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `invalid_client`: client authentication failed */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `access_denied`: the caller is suspended */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description The body is over the limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description A quota is full (`access_denied`) or too many requests (`temporarily_unavailable`); `Retry-After` */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `temporarily_unavailable` (fail closed); `Retry-After` */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description RFC 7009: an agent ends one of its own access tokens (its lease ends with cause `returned`). Answers 200 whatever the token was (someone else's, unknown, already ended: nothing revoked). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/x-www-form-urlencoded": components["schemas"]["TokenParam"];
                };
            };
            responses: {
                /** @description Done (or nothing to do) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description RFC 6749 §5.2 error (`invalid_request`, `invalid_grant`, ...) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `invalid_client`: client authentication failed */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `access_denied`: the caller is suspended */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description The body is over the limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description A quota is full (`access_denied`) or too many requests (`temporarily_unavailable`); `Retry-After` */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `temporarily_unavailable` (fail closed); `Retry-After` */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/oauth/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description OAuth 2.1 token endpoint: token exchange (RFC 8693, the workload JWT as `subject_token`) or client credentials (RFC 7523 client assertion). Each access token (RFC 9068, `aud` = `resource`) is a lease with provider `oauth`, decided like `POST /v1/leases`. A `DPoP` proof (RFC 9449) binds it to a key. Errors are RFC 6749 §5.2 JSON. */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description RFC 9449 proof */
                    dpop?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/x-www-form-urlencoded": components["schemas"]["TokenRequest"];
                };
            };
            responses: {
                /** @description Issued */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TokenResponse"];
                    };
                };
                /** @description RFC 6749 §5.2 error (`invalid_request`, `invalid_grant`, ...) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `invalid_client`: client authentication failed */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `access_denied`: the caller is suspended */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description The body is over the limit */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description A quota is full (`access_denied`) or too many requests (`temporarily_unavailable`); `Retry-After` */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
                /** @description `temporarily_unavailable` (fail closed); `Retry-After` */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["OAuthError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Ready */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description With a gateway section in the trust file only: whether the gateway answers GET /healthz */
                            gateway?: boolean;
                            ok: boolean;
                            redis: boolean;
                            worker: boolean;
                        };
                    };
                };
                /** @description Not ready */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description With a gateway section in the trust file only: whether the gateway answers GET /healthz */
                            gateway?: boolean;
                            ok: boolean;
                            redis: boolean;
                            worker: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{agent}/exposure": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description The agent's blast radius now: every live lease with provider, target, scope and expiry (URL-encode the agent id), and those of every task descending, at any depth, from its tasks (its delegates', marked `delegated` with their `chain`) unless `include_delegated=false`. */
        get: {
            parameters: {
                query?: {
                    include_delegated?: "true" | "false";
                };
                header?: never;
                path: {
                    agent: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Live leases */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Exposure"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/agents/{agent}/suspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Suspends an identity: from the acknowledgement on, every request it makes is 403 agent_suspended whatever its roles, and nothing is issued under any task descending from its tasks. Its live leases, and unless include_delegated is false its delegates', are revoked (cause agent_suspended) in the same step. While suspended, a POST replaces reason and until and revokes whatever is live. Task states are unchanged. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The agent's id (URL-encoded) */
                    agent: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AgentSuspend"];
                };
            };
            responses: {
                /** @description Suspended; its leases are being revoked */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AgentSuspended"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** @description Lifts the suspension (audited agent.unsuspended); nothing revoked comes back. Answers the same when the agent was not suspended. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The agent's id (URL-encoded) */
                    agent: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Not suspended */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AgentUnsuspended"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    state?: "pending" | "approved" | "denied" | "expired" | "redeemed";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Step-up requests, newest first */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["Approval"][];
                        };
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Decide a pending step-up request. Nobody decides on their own request; a decision is final. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Decided */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Approval"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals/{id}/deny": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Decide a pending step-up request. Nobody decides on their own request; a decision is final. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Decided */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Approval"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals/{id}/redeem": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description The agent collects the lease of an approved request (the same as retrying the original request). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Issued */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["LeaseCreated"];
                    };
                };
                /** @description Still waiting */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PendingApproval"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Audit events, oldest first, after `since` (an event id; page with `next_cursor`). */
        get: {
            parameters: {
                query?: {
                    agent?: string;
                    limit?: number;
                    since?: string;
                    task_id?: string;
                    type?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["AuditEvent"][];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Every event after `since` as NDJSON, one JSON object per line. */
        get: {
            parameters: {
                query?: {
                    since?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description NDJSON */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-ndjson": string;
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Recomputes the hash chain: `ok` is false at the first event that was altered, or after a deletion. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Verification */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            checked: number;
                            first_bad?: {
                                id: string;
                                reason: string;
                            };
                            ok: boolean;
                        };
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/break-glass": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Temporarily widens a task's ceiling (capped by LEASH_BREAK_GLASS_MAX_SECONDS, never past the task deadline). Leases that need it are marked break_glass, audited as warnings, and end no later than the grant (DELETE /v1/break-glass/{id} ends it early); another call is a new, separately audited act. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["BreakGlassCreate"];
                };
            };
            responses: {
                /** @description Opened */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["BreakGlass"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/break-glass/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** @description Closes a grant before its time: it widens nothing from now on, and every live lease issued under it is revoked (cause break_glass_ended); the task's other leases keep running. Idempotent. A grant that already expired is answered with state expired and nothing revoked. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Closed; its leases are being revoked */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["BreakGlassClosed"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/introspect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description RFC 7662 introspection of a Leash task token, `token=<JWT>` as a form or JSON. `active` is false as soon as the lease is revoked or expired. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Token state */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Introspection"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/leases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Leases, newest first, filtered (`target` = a role ARN, Vault role or other provider target: who holds what on it); page with `cursor` = the previous page's `next_cursor`. A sparse filter may answer a short page with a `next_cursor`: go on until it is null. */
        get: {
            parameters: {
                query?: {
                    agent?: string;
                    cursor?: string;
                    limit?: number;
                    provider?: "leash-jwt" | "aws-sts" | "vault" | "gateway" | "oauth";
                    state?: "pending" | "active" | "revoking" | "revoked" | "revoke_failed" | "aborted" | "expired";
                    target?: string;
                    task_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of leases */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["LeaseList"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** @description An agent asks for a credential for one intent of one of its tasks. `Idempotency-Key` makes a retry return the same lease. */
        post: {
            parameters: {
                query?: never;
                header?: {
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["LeaseCreate"];
                };
            };
            responses: {
                /** @description Replay of an earlier request with the same Idempotency-Key */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["LeaseCreated"];
                    };
                };
                /** @description Issued */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["LeaseCreated"];
                    };
                };
                /** @description Step-up: a person must approve first; retry the same request (or redeem) after approval */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PendingApproval"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/leases/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description A lease, never its secret: visible to the agent that holds it and to the security team. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The lease */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Lease"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** @description The agent returns a credential early (or the security team revokes one lease). Idempotent. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revocation scheduled */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Lease"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reevaluations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Re-evaluations, newest first (dry runs are not kept). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Re-evaluations */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: components["schemas"]["Reevaluation"][];
                        };
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** @description Decides every live lease again with the request recorded at issuance and the current policy set, task and context; the leases now denied (or now needing approval) are revoked with cause `policy_changed`. `dry_run` previews what would be revoked, optionally with a candidate set (`policies`). Every accepted policy reload starts one by itself. 409 when no policy set is loaded. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ReevaluationCreate"];
                };
            };
            responses: {
                /** @description Dry run: what re-evaluating would revoke */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ReevaluationPreview"];
                    };
                };
                /** @description Re-evaluation started; progress at GET /v1/reevaluations/{id} */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Reevaluation"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reevaluations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Progress and counts by policy */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ReevaluationDetail"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/revocations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Mass revocation: every live lease matching the selector is revoked by a campaign in the worker, in chunks, with progress at GET /v1/revocations/{id}. A selector by agent or agent_prefix includes the agents' delegates (the leases of every task descending from their tasks) unless `include_delegated` is false. `dry_run` only previews, counting the same leases. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RevocationCreate"];
                };
            };
            responses: {
                /** @description Dry run: what the order would hit */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RevocationPreview"];
                    };
                };
                /** @description Campaign started */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Revocation"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/revocations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Campaign progress */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Revocation"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Registers a task (orchestrator), or a delegated sub-task (the agent owning `parent_id`). The same `id` with the same body returns the existing task (200); with another body, 409. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TaskCreate"];
                };
            };
            responses: {
                /** @description Already registered with this body */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Task"];
                    };
                };
                /** @description Registered */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Task"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description A task with its state, deadline, effective ceiling (its own intersected with every ancestor's) and lease counts by state (revocation progress after completion), and its quota with what it counts now. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The task */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Task"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** @description Narrows the task's ceiling (the orchestrator any task, the agent of a parent task its direct sub-tasks; another agent gets 404, any other caller 403). The new ceiling must be within the current one by the sub-task rule (equal is accepted and revokes nothing), else 403 ceiling_exceeded; a task that is not active is 409 task_not_active. Every live lease of the task and its descendants outside the new ceiling is revoked (cause ceiling_narrowed), in the same step as the change; leases issued under break-glass end with their grant instead. */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TaskNarrow"];
                };
            };
            responses: {
                /** @description Narrowed */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TaskNarrowed"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/tasks/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Marks the task cancelled and revokes every live lease of it and of its sub-tasks. Idempotent. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revocation scheduled */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TaskEnded"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tasks/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** @description Marks the task completed and revokes every live lease of it and of its sub-tasks. Idempotent. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revocation scheduled */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TaskEnded"];
                    };
                };
                /** @description Invalid request */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Missing or invalid workload identity */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not allowed */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Not found */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Conflict */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description rate_limited (too many requests from one identity), or quota_exceeded (a quota is full: `quota`, `limit`, `max`); `Retry-After` says when a retry can succeed, when that is known */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
                /** @description Unavailable (fail closed) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AccessTokenIntrospection: {
            active: boolean;
            aud?: string | string[];
            client_id?: string;
            sub?: string;
            task_id?: string;
            /** @enum {string} */
            token_type?: "Bearer" | "DPoP";
        } & {
            [key: string]: unknown;
        };
        AgentSuspend: {
            /** @description Also revoke the leases of every task descending, at any depth, from the agent's tasks (its delegates'). Default true */
            include_delegated?: boolean;
            reason: string;
            /**
             * Format: date-time
             * @description RFC 3339; when the suspension lifts by itself (audited agent.unsuspended). None: until lifted
             */
            until?: string;
        };
        AgentSuspended: {
            agent: string;
            revoking: number;
            /** @enum {boolean} */
            suspended: true;
        };
        AgentUnsuspended: {
            agent: string;
            /** @enum {boolean} */
            suspended: false;
        };
        Approval: {
            agent: string;
            created_at: string;
            decided_by: string | null;
            expires_at: string;
            id: string;
            intent: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description One resource, or a prefix when it ends in '/'; never '*'. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            };
            lease_id: string | null;
            provider: string;
            reasons: string[];
            /** @enum {string} */
            state: "pending" | "approved" | "denied" | "expired" | "redeemed";
            target: string | null;
            task_id: string;
        };
        AuditEvent: {
            actor: string | null;
            agent?: string;
            /** @description Receipts (`lease.revoked`, `lease.expired`) and revocation orders: why the lease ends. */
            cause?: string;
            /** @description When the provider confirmed the credential dead. */
            confirmed_at?: string;
            detail?: {
                [key: string]: unknown;
            };
            hash: string;
            id: string;
            lease_id?: string;
            /** @description When the end was ordered (for natural expiry: the expiry). */
            ordered_at?: string;
            outcome: string;
            /** @description With cause `policy_changed`: the denying policies. */
            policies?: string[];
            task_id?: string;
            ts: string;
            type: string;
        };
        AuthorizationServerMetadata: {
            [key: string]: unknown;
        };
        BreakGlass: {
            ceiling: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', 'docs/q3-*'); '*' alone is every resource. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            }[];
            closed_at: string | null;
            closed_by: string | null;
            expires_at: string;
            id: string;
            opened_at: string;
            opened_by: string;
            /** @enum {string} */
            state: "open" | "closed" | "expired";
            task_id: string;
        };
        BreakGlassClosed: components["schemas"]["BreakGlass"] & {
            /** @description Live leases issued under the grant, now being revoked */
            revoking: number;
        };
        BreakGlassCreate: {
            ceiling: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', 'docs/q3-*'); '*' alone is every resource. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            }[];
            justification: string;
            task_id: string;
            ttl_seconds: number;
        };
        ExposedLease: components["schemas"]["Lease"] & {
            /** @description On a delegate's lease: the agents of its ancestor tasks, nearest first (as in the token's act claim), ending with this agent */
            chain?: string[];
            /** @description True for a delegate's lease: one of a task descending from this agent's tasks */
            delegated: boolean;
        };
        Exposure: {
            agent: string;
            by_provider: {
                [key: string]: number;
            };
            count: number;
            delegated_count: number;
            live: components["schemas"]["ExposedLease"][];
            /** @description The trust file's quotas that bind the agent, each with the usage of the pool its leases count in */
            quotas: components["schemas"]["QuotaBinding"][];
            suspended: components["schemas"]["Suspension"];
        };
        Introspection: {
            active: boolean;
            aud?: string | string[];
            exp?: number;
            iat?: number;
            iss?: string;
            jti?: string;
            scope?: string;
            sub?: string;
            task_id?: string;
            token_type?: string;
        };
        Lease: {
            agent: string;
            break_glass: boolean;
            /** @description With `expired` only: false while the lease is just past its expiry, true once the worker has ended it */
            confirmed?: boolean;
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            expires_at: string;
            intent: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description One resource, or a prefix when it ends in '/'; never '*'. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            };
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            issued_at: string;
            lease_id: string;
            /** @enum {string} */
            provider: "leash-jwt" | "aws-sts" | "vault" | "gateway" | "oauth";
            revoke_reason: string | null;
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            revoked_at: string | null;
            scope: string[];
            /** @enum {string} */
            state: "pending" | "active" | "revoking" | "revoked" | "revoke_failed" | "aborted" | "expired";
            target: string | null;
            task_id: string;
        };
        LeaseCreate: {
            intent: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description One resource, or a prefix when it ends in '/'; never '*'. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            };
            /** @enum {string} */
            provider: "leash-jwt" | "aws-sts" | "vault" | "gateway" | "oauth";
            target?: string;
            task_id: string;
            ttl_seconds?: number;
        };
        LeaseCreated: {
            credential: {
                [key: string]: unknown;
            };
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            expires_at: string;
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            issued_at: string;
            lease_id: string;
            /** @enum {string} */
            provider: "leash-jwt" | "aws-sts" | "vault" | "gateway" | "oauth";
            scope: string[];
            /** @enum {string} */
            state: "active";
            task_id: string;
        };
        LeaseList: {
            items: components["schemas"]["Lease"][];
            next_cursor: string | null;
        };
        OAuthError: {
            /** @description Step-up: the approval to wait for */
            approval_id?: string;
            error: string;
            error_description: string;
            limit?: string;
            max?: number;
            quota?: string;
        };
        PendingApproval: {
            approval_id: string;
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            expires_at: string;
            /** @enum {string} */
            state: "pending_approval";
        };
        Problem: {
            detail: string;
            /**
             * @description On quota_exceeded: the limit that is reached
             * @enum {string}
             */
            limit?: "max_live" | "max_per_minute" | "max_issued";
            /** @description On quota_exceeded: the limit's value */
            max?: number;
            /** @description On quota_exceeded: the quota's id, or `task:<task id>` for a task's quota */
            quota?: string;
            reasons?: string[];
            request_id: string;
            status: number;
            title: string;
            type: string;
        };
        ProtectedResourceMetadata: {
            authorization_servers: string[];
            bearer_methods_supported: "header"[];
            resource: string;
        };
        QuotaBinding: {
            id: string;
            match: {
                agent?: string;
                agent_prefix?: string;
                provider?: string;
                target?: string;
            };
            max_live: number | null;
            max_per_minute: number | null;
            /** @enum {string|null} */
            per: "agent" | null;
            /** @description What the pool the agent's leases count in holds now (the agent's own with `per: agent`, else the one shared by everything the match selects); null for a limit the quota does not set */
            usage: {
                live: number | null;
                per_minute: number | null;
            };
        };
        Reevaluation: {
            checked: number;
            /** Format: date-time */
            completed_at: string | null;
            /** Format: date-time */
            created_at: string;
            denied: number;
            id: string;
            policy_set: string;
            requested_by: string;
            revoked: number;
            /** @enum {string} */
            state: "running" | "done" | "failed";
            /** @description A newer policy set was loaded while it ran; the run for that set decided the rest */
            superseded_by: string | null;
            /** @enum {string} */
            trigger: "reload" | "request";
        };
        ReevaluationCreate: {
            dry_run?: boolean;
            /** @description With dry_run: a complete candidate policy set, file name -> Cedar text, validated against the loaded schema and used instead of the loaded set. Nothing is loaded or revoked. */
            policies?: {
                [key: string]: string;
            };
        };
        ReevaluationDenied: {
            agent: string;
            intent: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description One resource, or a prefix when it ends in '/'; never '*'. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            };
            lease_id: string;
            policies: string[];
            provider: string;
            target: string | null;
            task_id: string;
        };
        ReevaluationDetail: components["schemas"]["Reevaluation"] & {
            /** @description Denied leases by the id of each policy that denies them (or now requires approval) */
            by_policy: {
                [key: string]: number;
            };
        };
        ReevaluationPreview: {
            /** @description Denied leases by the id of each policy that denies them (or now requires approval) */
            by_policy: {
                [key: string]: number;
            };
            checked: number;
            denied: number;
            /** @description Up to 20 of the leases it would revoke */
            sample: components["schemas"]["ReevaluationDenied"][];
        };
        Revocation: {
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            created_at: string;
            failed: number;
            id: string;
            matched: number;
            ordered: number;
            reason: string;
            revoked: number;
            /** @enum {string} */
            state: "running" | "done" | "failed";
        };
        RevocationCreate: {
            dry_run?: boolean;
            reason: string;
            selector: components["schemas"]["RevocationSelector"];
        };
        RevocationPreview: {
            by_agent: {
                [key: string]: number;
            };
            by_provider: {
                [key: string]: number;
            };
            matched: number;
        };
        RevocationSelector: {
            agent?: string;
            agent_prefix?: string;
            /** @enum {boolean} */
            all?: true;
            /** @description With agent or agent_prefix: also the leases of every task descending, at any depth, from the matching agents' tasks (their delegates'). Default true. */
            include_delegated?: boolean;
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            issued_before?: string;
            /** @enum {string} */
            provider?: "leash-jwt" | "aws-sts" | "vault" | "gateway" | "oauth";
            target?: string;
            task_id?: string;
        };
        RevokedTokens: {
            cursor: string;
            has_more: boolean;
            revoked: {
                exp: number;
                jti: string;
            }[];
        };
        /** @description The agent's suspension in force (every request it makes is refused), or null */
        Suspension: {
            /** Format: date-time */
            at: string;
            by: string;
            reason: string;
            /** Format: date-time */
            until: string | null;
        } | null;
        Task: {
            agent: string;
            ceiling: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', 'docs/q3-*'); '*' alone is every resource. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            }[];
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            created_at: string;
            created_by: string;
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            deadline: string;
            depth: number;
            /** @description The ceiling requests are checked against: this task's own intersected with every ancestor's (narrowing a task narrows what it delegated) */
            effective_ceiling: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', 'docs/q3-*'); '*' alone is every resource. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            }[];
            /**
             * Format: date-time
             * @example 2026-11-23T10:00:00.000Z
             */
            ended_at: string | null;
            id: string;
            labels: {
                [key: string]: string;
            };
            leases: {
                [key: string]: number;
            };
            parent_id: string | null;
            quota: components["schemas"]["TaskQuota"];
            /** @description With a quota: the live and issued leases it counts (this task's and its descendants'); null without one */
            quota_usage: {
                issued: number;
                live: number;
            } | null;
            /** @enum {string} */
            state: "active" | "completed" | "cancelled" | "expired";
            ttl_seconds: number;
        };
        TaskCreate: {
            agent: string;
            ceiling: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', 'docs/q3-*'); '*' alone is every resource. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            }[];
            id?: string;
            labels?: {
                [key: string]: string;
            };
            parent_id?: string;
            quota?: components["schemas"]["TaskQuota"];
            ttl_seconds: number;
        };
        TaskEnded: {
            id: string;
            revoking: number;
            /** @enum {string} */
            state: "active" | "completed" | "cancelled" | "expired";
        };
        TaskNarrow: {
            ceiling: {
                action: string;
                destination?: string;
                purpose?: string;
                /** @description As in a request, or ending in '*': everything that starts with what precedes the '*' ('docs/*', 'docs/q3-*'); '*' alone is every resource. Canonical: '/'-separated segments in Unicode NFC; no '.' or '..' segment, nor one of only dots and spaces, also before a '?', '#' or ';'; no empty segment (no leading '/', no '//'; one trailing '/' marks a prefix); no '\'; no '%' (never percent-encoded); no control or invisible character; no character whose NFKC form contains '.', '/', '\', '%', '*' or '?', nor another slash or dot lookalike, nor a combining mark on '.' or '/'. Anything else is 400 invalid_request naming the rule broken: empty, too_long, invisible, percent_encoding, backslash, lookalike, wildcard, not_nfc, empty_segment, dot_segment. */
                resource: string;
                /** @enum {string} */
                sensitivity?: "public" | "internal" | "confidential" | "restricted";
                tool?: string;
            }[];
        };
        TaskNarrowed: components["schemas"]["Task"] & {
            /** @description Live leases of the task and its descendants this narrowing revoked (outside the new ceiling) */
            revoking: number;
        };
        /** @description Limits on the leases of the task and every task descending from it: `max_live` (pending, active, revoking, revoke_failed) and `max_issued` (written ahead and not aborted). A sub-task may set only lower ones. */
        TaskQuota: {
            max_issued?: number;
            max_live?: number;
        } | null;
        TokenParam: {
            /** @description The caller's workload JWT as an RFC 7523 assertion (for the issuer, the token endpoint or this endpoint); or send it as `Authorization: Bearer` */
            client_assertion?: string;
            client_assertion_type?: string;
            /** @description The access token */
            token?: string;
            /** @description Ignored (RFC 7009 §2.1: only a hint) */
            token_type_hint?: string;
        } & {
            [key: string]: unknown;
        };
        TokenRequest: {
            /** @description Token exchange, delegation: the delegating agent's workload JWT */
            actor_token?: string;
            /** @description `urn:ietf:params:oauth:token-type:jwt` */
            actor_token_type?: string;
            /** @description RFC 9396: `[{"type":"leash_intent","task_id"?, ...Intent}]` (instead of scope) */
            authorization_details?: string;
            /** @description Client credentials: the agent's workload JWT whose `aud` holds the token endpoint or the issuer (never the API's audience), `exp` at most 10 minutes after `iat` */
            client_assertion?: string;
            /** @description `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` */
            client_assertion_type?: string;
            /** @description If sent, the workload identity's `sub` */
            client_id?: string;
            /** @description `urn:ietf:params:oauth:grant-type:token-exchange` or `client_credentials` */
            grant_type?: string;
            /** @description `urn:ietf:params:oauth:token-type:access_token` */
            requested_token_type?: string;
            /** @description RFC 8707, required: one absolute https URI (http on loopback), the token's `aud` */
            resource?: string;
            /** @description `task:<task id>` and one `<action>:<resource>`, space-separated */
            scope?: string;
            /** @description Token exchange: the agent's workload JWT */
            subject_token?: string;
            /** @description `urn:ietf:params:oauth:token-type:jwt` */
            subject_token_type?: string;
        } & {
            [key: string]: unknown;
        };
        TokenResponse: {
            access_token: string;
            authorization_details?: ({
                task_id: string;
                type: string;
            } & {
                [key: string]: unknown;
            })[];
            expires_in: number;
            /** @enum {string} */
            issued_token_type: "urn:ietf:params:oauth:token-type:access_token";
            scope?: string;
            /** @enum {string} */
            token_type: "Bearer" | "DPoP";
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
