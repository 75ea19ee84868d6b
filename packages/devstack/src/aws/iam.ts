import { AwsError, constraint, validationError } from "./errors.js";
import { isAllowed, type Principal } from "./principal.js";
import type { AwsState, RoleRecord } from "./state.js";
import type { Params } from "./sts-validation.js";
import { el, raw } from "./xml.js";

const NAME = /^[\w+=,.@-]+$/;
const DOCUMENT_CHARS = /^[\t\n\r\u0020-\u00FF]+$/;

/** RFC 3986 percent-encoding, as IAM returns policy documents (GetRolePolicy, GetRole). */
function iamUrlEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function readName(params: Params, key: string, field: string, max: number, problems: string[]): string {
  const value = params.get(key);
  if (value === undefined) {
    problems.push(constraint(null, field, "not be null"));
    return "";
  }
  if (value.length < 1) problems.push(constraint(value, field, "have length greater than or equal to 1"));
  if (value.length > max) problems.push(constraint(value, field, `have length less than or equal to ${max}`));
  if (value.length > 0 && !NAME.test(value)) {
    problems.push(constraint(value, field, "satisfy regular expression pattern: [\\w+=,.@-]+"));
  }
  return value;
}

interface Names {
  roleName: string;
  policyName: string;
}

function readNames(params: Params, withPolicy: boolean, extra?: (problems: string[]) => void): Names {
  const problems: string[] = [];
  const roleName = readName(params, "RoleName", "roleName", 64, problems);
  const policyName = withPolicy ? readName(params, "PolicyName", "policyName", 128, problems) : "";
  extra?.(problems);
  if (problems.length > 0) throw validationError(problems);
  return { roleName, policyName };
}

function roleXml(role: RoleRecord): string {
  return raw(
    "Role",
    el("Path", "/") +
      el("RoleName", role.name) +
      el("RoleId", role.id) +
      el("Arn", role.arn) +
      el("CreateDate", new Date(role.createdAt).toISOString()) +
      el("AssumeRolePolicyDocument", iamUrlEncode(role.trust.text)) +
      el("MaxSessionDuration", role.maxSessionDuration) +
      raw("RoleLastUsed", ""),
  );
}

function listRolePolicies(state: AwsState, roleName: string, params: Params): string {
  const maxItems = Number(params.get("MaxItems") ?? "100");
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw validationError([
      constraint(params.get("MaxItems") ?? "", "maxItems", "have value between 1 and 1000"),
    ]);
  }
  const marker = params.get("Marker");
  const after = marker === undefined ? undefined : Buffer.from(marker, "base64url").toString();
  const names = [...state.role(roleName).inline.keys()]
    .sort()
    .filter((n) => after === undefined || n > after);
  const page = names.slice(0, maxItems);
  const truncated = names.length > page.length;
  const last = page[page.length - 1];
  return (
    raw("PolicyNames", page.map((n) => el("member", n)).join("")) +
    el("IsTruncated", truncated) +
    (truncated && last !== undefined ? el("Marker", Buffer.from(last).toString("base64url")) : "")
  );
}

/** The inline role policy API (IAM API Reference); returns the `<{Action}Result>` content or undefined. */
export function handleIam(
  state: AwsState,
  principal: Principal,
  action: string,
  params: Params,
): string | undefined {
  const allow = (roleName: string) => {
    const arn = state.roleArn(roleName);
    if (!isAllowed(state, principal, `iam:${action}`, arn)) {
      throw new AwsError(
        "AccessDenied",
        403,
        `User: ${principal.arn} is not authorized to perform: iam:${action} on resource: ${arn}`,
      );
    }
  };
  switch (action) {
    case "GetRole": {
      const { roleName } = readNames(params, false);
      allow(roleName);
      return roleXml(state.role(roleName));
    }
    case "PutRolePolicy": {
      const document = params.get("PolicyDocument");
      const { roleName, policyName } = readNames(params, true, (problems) => {
        if (document === undefined) problems.push(constraint(null, "policyDocument", "not be null"));
        else if (document.length > 131072 || !DOCUMENT_CHARS.test(document)) {
          problems.push(
            constraint(
              document,
              "policyDocument",
              "satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            ),
          );
        }
      });
      allow(roleName);
      state.putInlinePolicy(roleName, policyName, document ?? "");
      return undefined;
    }
    case "GetRolePolicy": {
      const { roleName, policyName } = readNames(params, true);
      allow(roleName);
      const policy = state.inlinePolicy(roleName, policyName);
      return (
        el("RoleName", roleName) +
        el("PolicyName", policyName) +
        el("PolicyDocument", iamUrlEncode(policy.text))
      );
    }
    case "DeleteRolePolicy": {
      const { roleName, policyName } = readNames(params, true);
      allow(roleName);
      state.deleteInlinePolicy(roleName, policyName);
      return undefined;
    }
    case "ListRolePolicies": {
      const { roleName } = readNames(params, false);
      allow(roleName);
      return listRolePolicies(state, roleName, params);
    }
    default:
      throw new AwsError("InvalidAction", 400, `Could not find operation ${action} for version 2010-05-08`);
  }
}
