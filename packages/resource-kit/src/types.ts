/** Epoch milliseconds; `@leash/core`'s Clock fits, so tests can freeze time. */
export interface Clock {
  now(): number;
}

/** One `leash_intent` of a token's `authorization_details` (RFC 9396): what the agent may do with it. */
export interface LeashIntent {
  action: string;
  resource: string;
  tool?: string;
  sensitivity?: string;
  destination?: string;
  purpose?: string;
}

/** The delegation chain of a sub-agent's token (`act`, RFC 8693 §4.1), outermost actor first. */
export interface Actor {
  sub: string;
  act?: Actor;
}

/** What a verified access token grants, as a tool sees it. */
export interface LeashGrant {
  /** `sub`: the agent's workload identity (a SPIFFE ID or OIDC subject). */
  agent: string;
  /** `client_id` (RFC 9068): equal to `sub` for Leash tokens. */
  clientId: string;
  /** `jti`: the lease this token is; it ends when the lease does. */
  leaseId: string;
  /** The task the token was issued under; null only for a token without one. */
  taskId: string | null;
  /** The token's `leash_intent`, or null (a token for Leash's own `/mcp` carries none). */
  intent: LeashIntent | null;
  /** Every `authorization_details` entry, `leash_intent` included, as issued. */
  authorizationDetails: readonly Readonly<Record<string, unknown>>[];
  /** `scope`, split at spaces (empty when absent). */
  scopes: readonly string[];
  /** `aud`: this resource. */
  resource: string;
  /** `exp`, in seconds since the epoch. */
  expiresAt: number;
  /** `act`: who delegated to this agent, when the task was delegated. */
  actor: Actor | null;
  /** `cnf.jkt` (RFC 9449): the thumbprint of the key the token is bound to, when DPoP-bound. */
  jkt: string | null;
}

/** What a request needs beyond a valid token: an intent the token's `leash_intent` must cover. */
export interface Need {
  action: string;
  resource: string;
}
