import type { Intent } from "@leash/core";
import { LeashError } from "@leash/core";
import type { AwsStsTarget } from "./config.js";

/** STS refuses an inline session policy over 2,048 characters (STS Smithy model, AssumeRole `Policy`). */
export const SESSION_POLICY_LIMIT = 2048;

/** S3 actions whose resource is the bucket, not an object (Service Authorization Reference, Amazon S3). */
const BUCKET_ACTIONS = new Set(["s3:listbucket", "s3:listbucketversions"]);
const S3_PREFIX = "arn:aws:s3:::";

export interface CompiledSession {
  /** Minified policy JSON for AssumeRole's `Policy`. */
  policy: string;
  /** One readable line per grant, e.g. `s3:GetObject arn:aws:s3:::docs/x`. */
  scope: string[];
}

interface PolicyStatement {
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

function wildcard(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(value);
}

/** The IAM actions of an intent action, narrowed by policy obligations that name IAM actions (`s3:Get*`). */
function iamActionsFor(target: AwsStsTarget, intent: Intent, scopeHints: readonly string[]): string[] {
  const mapped = Object.hasOwn(target.actions, intent.action) ? target.actions[intent.action] : undefined;
  if (mapped === undefined) {
    throw new LeashError(
      "provider_access_denied",
      `aws-sts: intent action '${intent.action}' has no IAM mapping for this target (mapped: ${Object.keys(target.actions).join(", ")})`,
    );
  }
  const filters = scopeHints.filter((h) => /^[a-z0-9-]+:[A-Za-z0-9*?]+$/.test(h));
  const actions = filters.length === 0 ? mapped : mapped.filter((a) => filters.some((f) => wildcard(f, a)));
  if (actions.length === 0) {
    throw new LeashError(
      "provider_access_denied",
      `aws-sts: the policy obligations (${filters.join(", ")}) leave no IAM action of '${intent.action}'`,
    );
  }
  return actions;
}

/**
 * Compiles one intent into the inline session policy: only the mapped IAM actions, only on the ARN the intent's
 * resource maps to. A resource ending in `/` is a prefix. Bucket-level S3 actions (ListBucket) get the bucket ARN
 * and an `s3:prefix` condition for the same keys, so listing reveals no more than reading would.
 */
export function compileSessionPolicy(
  target: AwsStsTarget,
  intent: Intent,
  scopeHints: readonly string[] = [],
): CompiledSession {
  const actions = iamActionsFor(target, intent, scopeHints);
  const resource = intent.resource;
  // `*` and `?` are IAM wildcards and `${…}` a policy variable: inside an ARN they would widen the grant.
  if (/[*?]|\$\{/.test(resource)) {
    throw new LeashError("provider_rejected", "aws-sts: a resource may not contain '*', '?' or '${'");
  }
  const isPrefix = resource.endsWith("/");
  // A replacer function: with a string, `$&`, `$'` or `$$` in the resource would be replacement patterns.
  const objectArn = `${target.resource_template.replaceAll("{resource}", () => resource)}${isPrefix ? "*" : ""}`;
  const templateHead = target.resource_template.slice(0, target.resource_template.indexOf("{resource}"));
  const slash = templateHead.startsWith(S3_PREFIX) ? templateHead.indexOf("/", S3_PREFIX.length) : -1;
  const bucketArn = slash >= 0 ? templateHead.slice(0, slash) : undefined;

  const objectActions = actions.filter(
    (a) => bucketArn === undefined || !BUCKET_ACTIONS.has(a.toLowerCase()),
  );
  const bucketActions = actions.filter((a) => !objectActions.includes(a));
  const statements: PolicyStatement[] = [];
  const scope: string[] = [];
  if (objectActions.length > 0) {
    statements.push({ Effect: "Allow", Action: objectActions, Resource: [objectArn] });
    for (const a of objectActions) scope.push(`${a} ${objectArn}`);
  }
  if (bucketArn !== undefined && bucketActions.length > 0) {
    const keys = objectArn.slice(bucketArn.length + 1);
    const operator = isPrefix ? "StringLike" : "StringEquals";
    statements.push({
      Effect: "Allow",
      Action: bucketActions,
      Resource: [bucketArn],
      Condition: { [operator]: { "s3:prefix": [keys] } },
    });
    for (const a of bucketActions) scope.push(`${a} ${bucketArn} (s3:prefix ${keys})`);
  }
  const policy = JSON.stringify({ Version: "2012-10-17", Statement: statements });
  if (policy.length > SESSION_POLICY_LIMIT) {
    throw new LeashError(
      "provider_rejected",
      `aws-sts: the session policy for this intent is ${policy.length} characters; STS allows ${SESSION_POLICY_LIMIT}`,
    );
  }
  return { policy, scope };
}
