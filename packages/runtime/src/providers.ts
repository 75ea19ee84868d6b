import {
  type Clock,
  type CredentialProvider,
  type GatewayRevocations,
  type OAuthRevocationFeed,
  oauthEndpoints,
  type ProviderName,
  systemClock,
} from "@leash/core";
import {
  AwsStsProviderConfig,
  createAwsStsProvider,
  createGatewayProvider,
  createLeashJwtProvider,
  createOAuthProvider,
  createVaultProvider,
  SigningKeyFile,
  VaultProviderConfig,
} from "@leash/providers";
import type { z } from "zod";
import type { LeashConfigFile } from "./config-file.js";
import type { RuntimeEnv } from "./env.js";
import { withFailpoints } from "./failpoints.js";

export interface ProviderRegistry {
  providers: Map<ProviderName, CredentialProvider>;
  close(): Promise<void>;
}

function section<T>(name: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `providers.${name}.${i.path.join(".")}: ${i.message}`);
  throw new Error(`invalid provider configuration: ${lines.join("; ")}`);
}

/** What some providers need of the store. */
export interface ProviderStores {
  /** Where `gateway` records the revocations the gateways follow (the store's `gatewayRevocations`). */
  gatewayRevocations?: GatewayRevocations;
  /** Where `oauth` records ended access tokens for resource servers (the store's `oauthRevocations`). */
  oauthRevocations?: OAuthRevocationFeed;
}

/**
 * Builds every configured provider once at start-up. `leash-jwt` is always there (it needs nothing external), and
 * `oauth` wherever the store's revocation feed is given (the API issues access tokens, the worker ends them);
 * `vault`, `aws-sts` and `gateway` exist when their section of LEASH_CONFIG is present.
 */
export async function buildProviders(
  env: RuntimeEnv,
  config: LeashConfigFile,
  clock: Clock = systemClock,
  stores: ProviderStores = {},
): Promise<ProviderRegistry> {
  const keys = new SigningKeyFile(env.LEASH_SIGNING_KEY_FILE);
  await keys.current();
  const providers = new Map<ProviderName, CredentialProvider>();
  const closers: (() => Promise<void>)[] = [];
  providers.set(
    "leash-jwt",
    createLeashJwtProvider({
      issuer: publicUrl(env),
      maxTtlSeconds: config.providers["leash-jwt"].max_ttl_seconds ?? env.LEASH_MAX_TTL_SECONDS,
      keys,
      clock,
    }),
  );
  if (stores.oauthRevocations) {
    providers.set(
      "oauth",
      createOAuthProvider({
        issuer: oauthEndpoints(publicUrl(env)).issuer,
        keys,
        revocations: stores.oauthRevocations,
        // As long as task tokens: both are signatures over a lease that Leash alone can end.
        maxTtlSeconds: config.providers["leash-jwt"].max_ttl_seconds ?? env.LEASH_MAX_TTL_SECONDS,
      }),
    );
  }
  if (config.providers.vault !== undefined) {
    const vault = createVaultProvider(section("vault", VaultProviderConfig, config.providers.vault));
    await vault.start();
    providers.set("vault", vault);
    closers.push(async () => vault.close());
  }
  if (config.providers["aws-sts"] !== undefined) {
    const aws = createAwsStsProvider(section("aws-sts", AwsStsProviderConfig, config.providers["aws-sts"]));
    providers.set("aws-sts", aws);
    closers.push(async () => aws.close());
  }
  if (config.gateway !== undefined) {
    if (!stores.gatewayRevocations)
      throw new Error("the gateway provider needs the store's gateway revocations");
    providers.set(
      "gateway",
      createGatewayProvider({
        config: config.gateway,
        issuer: publicUrl(env),
        publicUrl: gatewayPublicUrl(env),
        keys,
        revocations: stores.gatewayRevocations,
        // As long as task tokens: both are signatures over a lease that Leash alone can end.
        maxTtlSeconds: config.providers["leash-jwt"].max_ttl_seconds ?? env.LEASH_MAX_TTL_SECONDS,
      }),
    );
  }
  const failpoints = env.LEASH_FAILPOINTS;
  if (failpoints && Object.values(failpoints).some((p) => p > 0)) {
    process.stderr.write(
      `leash: LEASH_FAILPOINTS is set; this process will kill itself at random (tests only)\n`,
    );
    for (const [name, provider] of providers) providers.set(name, withFailpoints(provider, failpoints));
  }
  return {
    providers,
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
    },
  };
}

const reachableHost = (host: string) => (host === "0.0.0.0" ? "127.0.0.1" : host);

export function publicUrl(env: RuntimeEnv): string {
  return env.LEASH_PUBLIC_URL ?? `http://${reachableHost(env.HOST)}:${env.PORT}`;
}

/** The gateway's public base URL, without a trailing `/`: leases carry `<it>/u/<upstream>/` as `base_url`. */
/** The gateway's liveness probe for the API's readiness: LEASH_GATEWAY_HEALTH_URL, or /healthz at the public URL. */
export function gatewayHealthUrl(env: RuntimeEnv): string {
  return env.LEASH_GATEWAY_HEALTH_URL ?? `${gatewayPublicUrl(env)}/healthz`;
}

export function gatewayPublicUrl(env: RuntimeEnv): string {
  const url = env.LEASH_GATEWAY_PUBLIC_URL ?? `http://${reachableHost(env.HOST)}:${env.LEASH_GATEWAY_PORT}`;
  return url.replace(/\/+$/, "");
}
