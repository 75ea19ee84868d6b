import { AwsError } from "./errors.js";
import { PolicyError, parsePolicy } from "./policy-document.js";
import { evaluate } from "./policy-eval.js";
import { isAllowed, type Principal, principalContext } from "./principal.js";
import type { AwsState, RoleRecord, StoredPolicy } from "./state.js";
import { type AssumeRoleInput, type Params, packedPolicyPercent, readAssumeRole } from "./sts-validation.js";
import { el, raw } from "./xml.js";

/** Returns the `<{Action}Result>` content; errors are thrown as AwsError. */
export function handleSts(state: AwsState, principal: Principal, action: string, params: Params): string {
  switch (action) {
    case "AssumeRole":
      return assumeRole(state, principal, readAssumeRole(params));
    case "GetCallerIdentity":
      // Never subject to IAM: only an unknown or expired credential fails it, and that failed authentication.
      return el("UserId", principal.userId) + el("Account", state.accountId) + el("Arn", principal.arn);
    default:
      throw new AwsError("InvalidAction", 400, `Could not find operation ${action} for version 2011-06-15`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function notAuthorized(principal: Principal, action: string, resource: string): AwsError {
  return new AwsError(
    "AccessDenied",
    403,
    `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource}`,
  );
}

function findRole(state: AwsState, principal: Principal, roleArn: string): RoleRecord {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const role = m && m[1] === state.accountId ? state.roles.get(m[2] ?? "") : undefined;
  // STS does not say whether a role exists: a missing role is the same AccessDenied as a refused one.
  if (!role || role.arn !== roleArn) throw notAuthorized(principal, "sts:AssumeRole", roleArn);
  return role;
}

/** The trust policy must allow the caller, and a role session also needs its own permission to assume. */
function checkAssume(state: AwsState, principal: Principal, role: RoleRecord, input: AssumeRoleInput): void {
  const actions = ["sts:AssumeRole"];
  if (input.tags.length > 0 || input.transitiveTagKeys.length > 0) actions.push("sts:TagSession");
  if (input.sourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  const context: Record<string, string | string[]> = { ...principalContext(state, principal) };
  if (input.sourceIdentity !== undefined) context["sts:SourceIdentity"] = input.sourceIdentity;
  if (input.externalId !== undefined) context["sts:ExternalId"] = input.externalId;
  if (input.sessionName) context["sts:RoleSessionName"] = input.sessionName;
  for (const t of input.tags) context[`aws:RequestTag/${t.key}`] = t.value;
  if (input.tags.length > 0) context["aws:TagKeys"] = input.tags.map((t) => t.key);
  for (const action of actions) {
    const trusted = evaluate(
      { action, resource: role.arn, context, principal: { arn: principal.arn, account: state.accountId } },
      [role.trust.doc],
    );
    if (trusted !== "allow" || !isAllowed(state, principal, action, role.arn)) {
      throw notAuthorized(principal, action, role.arn);
    }
  }
}

function sessionPolicy(text: string | undefined): StoredPolicy | undefined {
  if (text === undefined) return undefined;
  try {
    return { text, doc: parsePolicy(text, "session") };
  } catch (error) {
    if (error instanceof PolicyError) throw new AwsError("MalformedPolicyDocument", 400, error.message);
    throw error;
  }
}

function assumeRole(state: AwsState, principal: Principal, input: AssumeRoleInput): string {
  if (input.policyArns.length > 0) {
    throw new AwsError("ValidationError", 400, "Managed session policies (PolicyArns) are not emulated.");
  }
  const role = findRole(state, principal, input.roleArn);
  checkAssume(state, principal, role, input);
  // Role chaining caps the session at one hour (IAM User Guide, "Role chaining").
  if (principal.kind === "session" && input.durationSeconds > 3600) {
    throw new AwsError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  }
  if (input.durationSeconds > role.maxSessionDuration) {
    throw new AwsError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
  }
  const seen = new Set<string>();
  for (const { key } of input.tags) {
    if (seen.has(key.toLowerCase())) {
      throw new AwsError(
        "ValidationError",
        400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      );
    }
    seen.add(key.toLowerCase());
  }
  const policy = sessionPolicy(input.policy);
  const packed = packedPolicyPercent(input.policy, input.tags);
  if (packed > 100) {
    throw new AwsError("PackedPolicyTooLarge", 400, `Packed policy consumes ${packed}% of allotted space`);
  }
  const issuedAt = state.now();
  const session = state.createSession({
    roleName: role.name,
    roleId: role.id,
    sessionName: input.sessionName,
    issuedAt,
    expiresAt: issuedAt + input.durationSeconds * 1000,
    policy,
    tags: Object.fromEntries(input.tags.map((t) => [t.key, t.value])),
    sourceIdentity:
      input.sourceIdentity ?? (principal.kind === "session" ? principal.session.sourceIdentity : undefined),
  });
  const credentials =
    el("AccessKeyId", session.accessKeyId) +
    el("SecretAccessKey", session.secretAccessKey) +
    el("SessionToken", session.sessionToken) +
    el("Expiration", iso(session.expiresAt));
  const user =
    el("Arn", `arn:aws:sts::${state.accountId}:assumed-role/${role.name}/${session.sessionName}`) +
    el("AssumedRoleId", `${role.id}:${session.sessionName}`);
  const packedSize =
    input.policy !== undefined || input.tags.length > 0 ? el("PackedPolicySize", packed) : "";
  const source = session.sourceIdentity === undefined ? "" : el("SourceIdentity", session.sourceIdentity);
  return raw("Credentials", credentials) + raw("AssumedRoleUser", user) + packedSize + source;
}
