import type { CredentialProvider, ProviderName } from "@leash/core";
import { createLeashJwtProvider, SigningKeyFile } from "@leash/providers";
import type { LeashConfigFile } from "./config-file.js";
import type { RuntimeEnv } from "./env.js";

/** Builds every configured provider once at start-up. `leash-jwt` is always there: it needs nothing external. */
export async function buildProviders(
  env: RuntimeEnv,
  config: LeashConfigFile,
): Promise<Map<ProviderName, CredentialProvider>> {
  const keys = new SigningKeyFile(env.LEASH_SIGNING_KEY_FILE);
  await keys.current();
  const providers = new Map<ProviderName, CredentialProvider>();
  providers.set(
    "leash-jwt",
    createLeashJwtProvider({
      issuer: publicUrl(env),
      maxTtlSeconds: config.providers["leash-jwt"].max_ttl_seconds ?? env.LEASH_MAX_TTL_SECONDS,
      keys,
    }),
  );
  return providers;
}

export function publicUrl(env: RuntimeEnv): string {
  return env.LEASH_PUBLIC_URL ?? `http://${env.HOST === "0.0.0.0" ? "127.0.0.1" : env.HOST}:${env.PORT}`;
}
