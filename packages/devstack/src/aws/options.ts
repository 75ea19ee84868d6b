import { z } from "zod";

/** A policy given as JSON text or as an object (serialised as is). */
const PolicyInput = z
  .union([z.string().min(1), z.record(z.string(), z.unknown())])
  .transform((v) => (typeof v === "string" ? v : JSON.stringify(v)));

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const RoleSpec = z.object({
  name: z.string().regex(/^[\w+=,.@-]{1,64}$/, "role names are 1-64 of [\\w+=,.@-]"),
  /** IAM allows 1 to 12 hours (CreateRole MaxSessionDuration). */
  maxSessionDuration: z.number().int().min(3600).max(43200).default(3600),
  /** Who may assume the role; by default every principal of the account. */
  trust: PolicyInput.optional(),
  /** Identity policies attached to the role (managed-policy-like: not inline, not in the inline quota). */
  policies: z.record(z.string(), PolicyInput).default({}),
});
export type RoleSpec = z.input<typeof RoleSpec>;

export const BucketSpec = z.union([
  z.string().regex(BUCKET_NAME),
  z.object({ name: z.string().regex(BUCKET_NAME), objects: z.record(z.string(), z.string()).default({}) }),
]);
export type BucketSpec = z.input<typeof BucketSpec>;

export const AccessKeyPair = z.object({
  accessKeyId: z.string().regex(/^AKIA[A-Z0-9]{12,124}$/, "long-term access key ids start with AKIA"),
  secretAccessKey: z.string().min(1),
});
export type AccessKeyPair = z.infer<typeof AccessKeyPair>;

export const AwsEmulatorOptions = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .default("123456789012"),
  /** Long-term keys of the account's administrator (an IAM user: the root user may not assume roles). */
  rootKeys: AccessKeyPair.optional(),
  roles: z.array(RoleSpec).default([]),
  buckets: z.array(BucketSpec).default([]),
  /** Epoch ms; drives credential issue and expiry times (not the SigV4 clock-skew check, which uses real time). */
  clock: z.custom<() => number>((v) => typeof v === "function").optional(),
});
export type AwsEmulatorOptions = z.input<typeof AwsEmulatorOptions>;
