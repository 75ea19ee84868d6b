import type { IncomingHttpHeaders } from "node:http";
import { AwsError, type AwsService, authError } from "./errors.js";
import { evaluate } from "./policy-eval.js";
import {
  parseAmzDate,
  parseAuthorization,
  payloadHashMatches,
  type RawRequest,
  verifySignature,
} from "./sigv4.js";
import type { AwsState, SessionRecord } from "./state.js";

export type Principal =
  | { kind: "user"; arn: string; userId: string }
  | { kind: "session"; arn: string; userId: string; session: SessionRecord };

/** AWS accepts a signing time within about 15 minutes of its own (the exact limit is not documented). */
const MAX_SKEW_MS = 15 * 60_000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Who signed the request (PROTOCOLS.md B4): unknown key, wrong or missing session token, an expired session and a
 * signature mismatch each fail with the service's own error.
 */
export async function authenticate(
  state: AwsState,
  request: RawRequest,
  service: AwsService,
): Promise<Principal> {
  const auth = parseAuthorization(header(request.headers, "authorization"));
  if (!auth) throw authError("missing", service);
  const amzDate = header(request.headers, "x-amz-date");
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt || amzDate?.slice(0, 8) !== auth.shortDate) throw authError("signature", service);
  if (Math.abs(Date.now() - signedAt.getTime()) > MAX_SKEW_MS) {
    throw authError("skew", service, `${amzDate} is outside the allowed clock skew`);
  }
  let secret: string;
  let session: SessionRecord | undefined;
  if (auth.accessKeyId === state.root.accessKeyId) {
    secret = state.root.secretAccessKey;
  } else {
    session = state.session(auth.accessKeyId);
    if (!session) throw authError("unknown_key", service);
    if (header(request.headers, "x-amz-security-token") !== session.sessionToken) {
      throw authError("bad_token", service);
    }
    secret = session.secretAccessKey;
  }
  if (!(await verifySignature(request, auth, secret))) throw authError("signature", service);
  if (!payloadHashMatches(request)) {
    throw service === "s3"
      ? new AwsError(
          "XAmzContentSHA256Mismatch",
          400,
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
      : authError("signature", service);
  }
  if (!session) return { kind: "user", arn: state.rootArn, userId: `AIDA${state.root.accessKeyId.slice(4)}` };
  if (state.now() >= session.expiresAt) throw authError("expired", service);
  const arn = `arn:aws:sts::${state.accountId}:assumed-role/${session.roleName}/${session.sessionName}`;
  return { kind: "session", arn, userId: `${session.roleId}:${session.sessionName}`, session };
}

/** The global condition keys of the request context (IAM User Guide, "AWS global condition context keys"). */
export function principalContext(state: AwsState, principal: Principal): Record<string, string> {
  const now = new Date(state.now());
  const context: Record<string, string> = {
    "aws:userid": principal.userId,
    "aws:PrincipalAccount": state.accountId,
    "aws:CurrentTime": now.toISOString(),
    "aws:EpochTime": String(Math.floor(now.getTime() / 1000)),
  };
  if (principal.kind === "user") {
    context["aws:PrincipalArn"] = principal.arn;
    context["aws:PrincipalType"] = "User";
    context["aws:username"] = "admin";
    return context;
  }
  const s = principal.session;
  context["aws:PrincipalArn"] = state.roleArn(s.roleName);
  context["aws:PrincipalType"] = "AssumedRole";
  context["aws:TokenIssueTime"] = new Date(s.issuedAt).toISOString();
  if (s.sourceIdentity !== undefined) context["aws:SourceIdentity"] = s.sourceIdentity;
  for (const [key, value] of Object.entries(s.tags)) context[`aws:PrincipalTag/${key}`] = value;
  return context;
}

/**
 * Whether IAM lets the principal do `action` on `resource`: the administrator may do anything; a role session
 * gets the role's identity policies (attached and inline) intersected with its session policy, Deny winning.
 */
export function isAllowed(
  state: AwsState,
  principal: Principal,
  action: string,
  resource: string,
  extra: Record<string, string | undefined> = {},
): boolean {
  if (principal.kind === "user") return true;
  const role = state.roles.get(principal.session.roleName);
  // A deleted role (or one recreated under the same name, with a new id) no longer backs its old sessions.
  if (!role || role.id !== principal.session.roleId) return false;
  const identity = [...role.attached.values(), ...role.inline.values()].map((p) => p.doc);
  const session = principal.session.policy ? [principal.session.policy.doc] : undefined;
  const context = { ...principalContext(state, principal), ...extra };
  return evaluate({ action, resource, context }, identity, session) === "allow";
}
