import { constraint, validationError } from "./errors.js";

/**
 * AssumeRole's model constraints, from the STS Smithy model in aws-sdk-js-v3 (codegen/sdk-codegen/aws-models/
 * sts.json) and the API reference: every failure is listed in one ValidationError, worded as STS words it.
 */
export interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  policy: string | undefined;
  policyArns: string[];
  tags: { key: string; value: string }[];
  transitiveTagKeys: string[];
  sourceIdentity: string | undefined;
  externalId: string | undefined;
}

export type Params = ReadonlyMap<string, string>;

const NAME = /^[\w+=,.@-]*$/;
const NAME_PATTERN = "[\\w+=,.@-]*";
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const POLICY_CHARS = /^[\t\n\r\u0020-\u00FF]+$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** `Tags.member.1.Key`, `Tags.member.2.Key`, … as the awsQuery protocol flattens lists. */
function memberList(params: Params, name: string, field?: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const value = params.get(`${name}.member.${i}${field === undefined ? "" : `.${field}`}`);
    if (value === undefined) return out;
    out.push(value);
  }
}

function lengthBetween(
  problems: string[],
  value: string | undefined,
  field: string,
  min: number,
  max: number,
): void {
  if (value === undefined) return;
  if (value.length < min)
    problems.push(constraint(value, field, `have length greater than or equal to ${min}`));
  if (value.length > max) problems.push(constraint(value, field, `have length less than or equal to ${max}`));
}

function pattern(problems: string[], value: string | undefined, field: string, re: RegExp, shown: string) {
  if (value !== undefined && !re.test(value)) {
    problems.push(constraint(value, field, `satisfy regular expression pattern: ${shown}`));
  }
}

function readTags(params: Params, problems: string[]): AssumeRoleInput["tags"] {
  const keys = memberList(params, "Tags", "Key");
  const tags = keys.map((key, i) => ({ key, value: params.get(`Tags.member.${i + 1}.Value`) ?? "" }));
  if (tags.length > 50) problems.push(constraint(null, "tags", "have length less than or equal to 50"));
  tags.forEach(({ key, value }, i) => {
    const field = `tags.${i + 1}.member`;
    lengthBetween(problems, key, `${field}.key`, 1, 128);
    pattern(problems, key, `${field}.key`, TAG_KEY, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
    lengthBetween(problems, value, `${field}.value`, 0, 256);
    pattern(problems, value, `${field}.value`, TAG_VALUE, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
  });
  return tags;
}

export function readAssumeRole(params: Params): AssumeRoleInput {
  const problems: string[] = [];
  const roleArn = params.get("RoleArn");
  const sessionName = params.get("RoleSessionName");
  if (roleArn === undefined) problems.push(constraint(null, "roleArn", "not be null"));
  lengthBetween(problems, roleArn, "roleArn", 20, 2048);
  if (sessionName === undefined) problems.push(constraint(null, "roleSessionName", "not be null"));
  lengthBetween(problems, sessionName, "roleSessionName", 2, 64);
  pattern(problems, sessionName, "roleSessionName", NAME, NAME_PATTERN);

  const rawDuration = params.get("DurationSeconds");
  const durationSeconds = rawDuration === undefined ? 3600 : Number(rawDuration);
  if (!Number.isInteger(durationSeconds)) {
    problems.push(constraint(rawDuration ?? "", "durationSeconds", "be a valid integer"));
  } else if (durationSeconds < 900) {
    problems.push(constraint(durationSeconds, "durationSeconds", "have value greater than or equal to 900"));
  } else if (durationSeconds > 43200) {
    problems.push(constraint(durationSeconds, "durationSeconds", "have value less than or equal to 43200"));
  }

  const policy = params.get("Policy");
  lengthBetween(problems, policy, "policy", 1, 2048);
  pattern(problems, policy, "policy", POLICY_CHARS, "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");

  const policyArns = memberList(params, "PolicyArns", "arn");
  if (policyArns.length > 10)
    problems.push(constraint(null, "policyArns", "have length less than or equal to 10"));
  const tags = readTags(params, problems);
  const transitiveTagKeys = memberList(params, "TransitiveTagKeys");
  if (transitiveTagKeys.length > 50) {
    problems.push(constraint(null, "transitiveTagKeys", "have length less than or equal to 50"));
  }
  const sourceIdentity = params.get("SourceIdentity");
  lengthBetween(problems, sourceIdentity, "sourceIdentity", 2, 64);
  pattern(problems, sourceIdentity, "sourceIdentity", NAME, NAME_PATTERN);
  const externalId = params.get("ExternalId");
  lengthBetween(problems, externalId, "externalId", 2, 1224);
  pattern(problems, externalId, "externalId", EXTERNAL_ID, "[\\w+=,.@:\\/-]*");

  if (problems.length > 0) throw validationError(problems);
  return {
    roleArn: roleArn ?? "",
    sessionName: sessionName ?? "",
    durationSeconds,
    policy,
    policyArns,
    tags,
    transitiveTagKeys,
    sourceIdentity,
    externalId,
  };
}

/**
 * STS packs session policies and tags into a binary form whose algorithm is not public; anything over 100 % fails
 * with PackedPolicyTooLarge. This approximation charges the policy without whitespace plus each tag's key and
 * value against 2,048 characters, so a policy near the plaintext limit fails once tags are added.
 */
export function packedPolicyPercent(policy: string | undefined, tags: AssumeRoleInput["tags"]): number {
  const policyChars = policy === undefined ? 0 : policy.replace(/\s/g, "").length;
  const tagChars = tags.reduce((n, t) => n + t.key.length + t.value.length, 0);
  return Math.ceil(((policyChars + tagChars) * 100) / 2048);
}
