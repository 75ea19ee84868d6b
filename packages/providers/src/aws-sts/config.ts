import { z } from "zod";

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const IAM_ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;

export const AwsStsTarget = z.strictObject({
  role_arn: z.string().regex(ROLE_ARN, "a role ARN: arn:aws:iam::<account>:role/<name>"),
  /** The role's MaxSessionDuration (IAM: 1-12 h); STS refuses longer sessions, so Leash never asks for one. */
  max_session_seconds: z.number().int().min(900).max(43200).default(3600),
  /** Intent action -> IAM actions the session policy grants for it (e.g. read -> s3:GetObject, s3:ListBucket). */
  actions: z
    .record(
      z.string().min(1),
      z.array(z.string().regex(IAM_ACTION, "an IAM action such as s3:GetObject")).min(1),
    )
    .refine((a) => Object.keys(a).length > 0, "map at least one intent action"),
  /**
   * The ARN an intent resource names, `{resource}` standing for it: `arn:aws:s3:::docs-bucket/{resource}` maps
   * `docs/a.md` to one object; a resource ending in `/` is a prefix and maps to `…/docs/*`.
   */
  resource_template: z.string().startsWith("arn:").includes("{resource}"),
});
export type AwsStsTarget = z.infer<typeof AwsStsTarget>;

export const AwsStsProviderConfig = z
  .strictObject({
    region: z.string().min(1),
    /** STS endpoint (a regional or VPC endpoint, or the development emulator). */
    endpoint: z.url().optional(),
    /** IAM endpoint; IAM is global and not inherited from `endpoint`. */
    iam_endpoint: z.url().optional(),
    /** IAM signs in us-east-1 for the global endpoint. */
    iam_region: z.string().min(1).default("us-east-1"),
    /** Each STS or IAM call is abandoned after this long. */
    request_timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
    /** AssumeRole attempts when STS throttles or fails on its side. */
    mint_attempts: z.number().int().min(1).max(10).default(3),
    /**
     * How far Leash's clock may be from AWS's. Expiry-based decisions (skipping the revocation of an expired
     * credential, pruning deny entries) wait this long past expiry, and a target cut reaches this far ahead.
     */
    clock_skew_seconds: z.number().int().min(0).max(600).default(5),
    targets: z
      .record(z.string().regex(/^[\w.-]{1,64}$/, "target aliases are 1-64 of [A-Za-z0-9_.-]"), AwsStsTarget)
      .refine((t) => Object.keys(t).length > 0, "configure at least one target"),
  })
  .refine(
    (c) => new Set(Object.values(c.targets).map((t) => t.role_arn)).size === Object.keys(c.targets).length,
    "each role may back one target only (revocation state is kept per role)",
  );
export type AwsStsProviderConfig = z.input<typeof AwsStsProviderConfig>;

export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}
