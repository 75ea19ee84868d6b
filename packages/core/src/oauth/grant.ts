import { LeashError } from "../errors.js";
import type { IdentityVerifier, WorkloadIdentity } from "../identity.js";
import type { Intent } from "../intent.js";
import type { Lease } from "../lease.js";
import type { BrokerDeps } from "../services/deps.js";
import { issueLease } from "../services/issue-lease.js";
import { ensureNotSuspended } from "../services/suspension.js";
import { OAuthError, oauthErrorOf } from "./errors.js";
import { SESSION_INTENT } from "./session.js";
import type { TokenRequest } from "./token-request.js";

/** RFC 7523 assertions live at most this long (from `iat` to `exp`): their short life is the replay defence. */
export const MAX_ASSERTION_LIFETIME_MS = 600_000;

export interface GrantDeps {
  broker: BrokerDeps;
  verifier: IdentityVerifier;
  /** LEASH_PUBLIC_URL: the issuer, which a client assertion's `aud` may name. */
  issuer: string;
  /** `<issuer>/oauth/token`, which a client assertion's `aud` may name too. */
  tokenEndpoint: string;
  /** `<issuer>/mcp`: the one resource a token may be asked for without an intent. */
  mcpResource: string;
  /** A workload JWT refused (for the audit, as the API's identity middleware does). */
  onIdentityRejected?: (reason: string) => void;
  /** The caller is known: per-identity limits apply here (throwing `rate_limited` refuses the request). */
  onAuthenticated?: (caller: WorkloadIdentity) => void | Promise<void>;
}

/**
 * An RFC 9449 proof whose signature and claims were checked, not yet recorded as seen: its `jti` is written to the
 * store (`spend`, which refuses a replay) only once the caller has authenticated, so anonymous requests write
 * nothing there.
 */
export interface PossessionProof {
  /** The SHA-256 thumbprint of the proof's key: the token's `cnf.jkt`. */
  jkt: string;
  spend(): Promise<void>;
}

export interface Granted {
  lease: Lease;
  credential: Readonly<Record<string, unknown>>;
  taskId: string;
  /** Undefined for a token for `/mcp` asked without intent. */
  intent: Intent | undefined;
}

async function verified(
  deps: GrantDeps,
  token: string,
  as: "invalid_grant" | "invalid_client",
  what: string,
  audience?: readonly string[],
): Promise<WorkloadIdentity> {
  try {
    return await deps.verifier.verify(token, audience ? { audience } : {});
  } catch (error) {
    if (!(error instanceof LeashError) || error.code !== "unauthenticated") throw error;
    deps.onIdentityRejected?.(`${what}: ${error.message}`);
    throw new OAuthError(as, `${what}: ${error.message}`);
  }
}

/**
 * RFC 7523 §3: the workload JWT as client assertion, for the token endpoint or the issuer (or `alsoFor`, the URL
 * of the endpoint it is sent to), and short-lived.
 */
export async function authenticateClient(
  deps: GrantDeps,
  assertion: string,
  alsoFor: readonly string[] = [],
): Promise<WorkloadIdentity> {
  const client = await verified(deps, assertion, "invalid_client", "client_assertion", [
    deps.tokenEndpoint,
    deps.issuer,
    ...alsoFor,
  ]);
  if (client.issuedAt === undefined)
    throw new OAuthError("invalid_client", "client_assertion: has no iat, so its lifetime is unknown");
  if (client.expiresAt - client.issuedAt > MAX_ASSERTION_LIFETIME_MS)
    throw new OAuthError("invalid_client", "client_assertion: exp is more than 10 minutes after iat");
  return client;
}

/** Who asks: the subject of a token exchange, or the authenticated client of client credentials. */
async function callerOf(deps: GrantDeps, request: TokenRequest): Promise<WorkloadIdentity> {
  const client = request.clientAssertion
    ? await authenticateClient(deps, request.clientAssertion)
    : undefined;
  const caller =
    request.grant.type === "token-exchange"
      ? await verified(deps, request.grant.subjectToken, "invalid_grant", "subject_token")
      : client;
  if (!caller) throw new OAuthError("invalid_client", "client authentication is required");
  if (client && client.subject !== caller.subject)
    throw new OAuthError("invalid_client", "the client is not the subject of the subject_token");
  if (request.clientId !== undefined && request.clientId !== caller.subject)
    throw new OAuthError("invalid_client", "client_id is not the workload identity's subject");
  if (!caller.roles.has("agent"))
    throw new OAuthError("unauthorized_client", "only identities with the agent role get access tokens");
  return caller;
}

/** The task named, or the agent's only active one. */
async function taskOf(deps: GrantDeps, caller: WorkloadIdentity, named: string | undefined): Promise<string> {
  if (named !== undefined) return named;
  const { broker } = deps;
  const active = await broker.tasks.activeOf(caller.subject, broker.clock.now(), 2);
  const [only] = active;
  if (only !== undefined && active.length === 1) return only;
  if (active.length === 0) throw new OAuthError("invalid_grant", "the agent has no active task");
  throw new OAuthError(
    "invalid_request",
    "the agent has several active tasks: name one (task_id in authorization_details, or scope task:<id>)",
  );
}

/** RFC 8693 §4.1 delegation: the actor is the agent the task was delegated by, the one `act` names first. */
async function checkActor(deps: GrantDeps, taskId: string, caller: WorkloadIdentity, actorToken: string) {
  const actor = await verified(deps, actorToken, "invalid_grant", "actor_token");
  const task = await deps.broker.tasks.get(taskId);
  // Someone else's task is the issuance's not_found; answered the same here.
  if (!task || task.agent !== caller.subject)
    throw new OAuthError("invalid_grant", `task ${taskId} does not exist`);
  const parent = task.parentId === null ? null : await deps.broker.tasks.get(task.parentId);
  if (!parent || parent.agent !== actor.subject)
    throw new OAuthError(
      "invalid_grant",
      "actor_token is not the workload JWT of the agent that delegated the task",
    );
}

/**
 * The token endpoint's decision: authenticate the agent, pick the task and intent, and issue the access token as a
 * lease through the issuance service, so ceilings, policies, approvals, quotas, suspension and delegation limits
 * apply as to any lease. A step-up is `access_denied` naming the approval; retrying the same request once it is
 * approved gets the token.
 */
export async function grantAccessToken(
  deps: GrantDeps,
  request: TokenRequest,
  proof?: PossessionProof,
  signal?: AbortSignal,
): Promise<Granted> {
  try {
    const caller = await callerOf(deps, request);
    await deps.onAuthenticated?.(caller);
    await proof?.spend();
    await ensureNotSuspended(deps.broker, [caller.subject]);
    const { intent } = request.requested;
    if (!intent && request.resource !== deps.mcpResource)
      throw new OAuthError(
        "invalid_request",
        "an intent is required: authorization_details of type leash_intent, or scope <action>:<resource>",
      );
    const taskId = await taskOf(deps, caller, request.requested.taskId);
    if (request.grant.type === "token-exchange" && request.grant.actorToken)
      await checkActor(deps, taskId, caller, request.grant.actorToken);
    const outcome = await issueLease(
      deps.broker,
      caller,
      {
        taskId,
        provider: "oauth",
        target: request.resource,
        intent: intent ?? { ...SESSION_INTENT },
        ttlSeconds: undefined,
        ...(proof ? { confirmation: { jkt: proof.jkt } } : {}),
      },
      undefined,
      { signal },
    );
    if (outcome.kind === "approval") {
      const id = outcome.approval.id;
      throw new OAuthError("access_denied", `approval required: approval_id=${id}; retry once approved`, {
        extensions: { approval_id: id },
      });
    }
    return { lease: outcome.lease, credential: outcome.credential, taskId, intent };
  } catch (error) {
    if (error instanceof LeashError) throw oauthErrorOf(error, "invalid_grant");
    throw error;
  }
}
