import { LeashError } from "@leash/core";
import { z } from "zod";

/** The `auth` block of a login, token create or renew (api-docs auth/token.mdx). Extra fields are ignored. */
export const AuthResponse = z.object({
  auth: z.object({
    client_token: z.string().min(1),
    accessor: z.string(),
    lease_duration: z.number().int().min(0),
    renewable: z.boolean(),
  }),
});

/** lookup-self / lookup-accessor `data`: only what Leash reads. */
export const TokenLookup = z.object({
  data: z.object({
    ttl: z.number().int().min(0),
    creation_ttl: z.number().int().min(0).optional(),
    renewable: z.boolean().optional(),
    creation_time: z.number().int().min(0),
    meta: z.record(z.string(), z.string()).nullable().optional(),
  }),
});

export const KeyList = z.object({ data: z.object({ keys: z.array(z.string()) }) });

/** A dynamic secret (database/creds, aws/creds...): the lease and whatever the engine puts in `data`. */
export const SecretResponse = z.object({
  lease_id: z.string().min(1),
  lease_duration: z.number().int().min(0),
  data: z.record(z.string(), z.unknown()),
});

/** Vault's answers are external input: a shape we do not recognise is treated as an outage of that call. */
export function parseVault<T>(schema: z.ZodType<T>, body: unknown, call: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new LeashError("provider_unavailable", `vault ${call}: unexpected response shape`, { retry: true });
  }
  return parsed.data;
}
