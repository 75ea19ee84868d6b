import { z } from "zod";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");
const policyName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, "a Vault policy name")
  .refine((p) => p !== "root", "Leash never mints root tokens");
const segment = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "letters, digits, _ . - (1-128)");
const mountPath = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/, "a mount path without leading or trailing slash");
const action = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "an intent action");

/** Leash's own Vault identity: a token read from the environment, or an AppRole login. */
export const VaultAuthConfig = z.discriminatedUnion("method", [
  z.strictObject({ method: z.literal("token"), token_env: envName }),
  z.strictObject({
    method: z.literal("approle"),
    role_id: z.string().min(1).max(256),
    secret_id_env: envName,
    mount: mountPath.default("approle"),
  }),
]);
export type VaultAuthConfig = z.infer<typeof VaultAuthConfig>;

const common = {
  max_ttl_seconds: z.number().int().min(1).max(2_764_800),
  /** Intent actions this target serves; others are refused before anything is minted. Absent: any action. */
  actions: z.array(action).min(1).optional(),
};

/** A Vault token with exactly these policies, as an orphan that dies with the lease. */
export const TokenTarget = z.strictObject({
  kind: z.literal("token"),
  policies: z.array(policyName).min(1).max(64),
  /** Leave out Vault's `default` policy (lookup-self, renew-self, revoke-self). */
  no_default_policy: z.boolean().default(false),
  ...common,
});
export type TokenTarget = z.infer<typeof TokenTarget>;

/** A dynamic secret read from `<mount>/creds/<role>` (database, aws, ...). */
export const DynamicTarget = z.strictObject({
  kind: z.literal("dynamic"),
  mount: mountPath,
  role: segment,
  /**
   * Policies of the per-lease token that reads the secret (it must be allowed to read `<mount>/creds/<role>`).
   * Absent: the token inherits Leash's own policies; naming a narrow policy here is least privilege.
   */
  reader_policies: z.array(policyName).min(1).max(64).optional(),
  ...common,
});
export type DynamicTarget = z.infer<typeof DynamicTarget>;

export const VaultTarget = z.discriminatedUnion("kind", [TokenTarget, DynamicTarget]);
export type VaultTarget = z.infer<typeof VaultTarget>;

export const VaultProviderConfig = z.strictObject({
  address: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ""))
    .describe("Vault's base URL, e.g. https://vault.example.com:8200 (no /v1)"),
  /** Enterprise namespace, sent as X-Vault-Namespace. */
  namespace: z.string().min(1).max(512).optional(),
  /** PEM file with the CA that signs Vault's certificate. */
  ca_file: z.string().min(1).optional(),
  auth: VaultAuthConfig,
  request_timeout_ms: z.number().int().min(100).max(120_000).default(5_000),
  targets: z.record(segment, VaultTarget),
});
export type VaultProviderConfig = z.infer<typeof VaultProviderConfig>;
export type VaultProviderConfigInput = z.input<typeof VaultProviderConfig>;
