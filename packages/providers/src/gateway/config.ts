import { z } from "zod";
import { VaultProviderConfig } from "../vault/config.js";

/** Upstream names appear in `base_url` paths (`/u/<name>/`) and are compared byte for byte. */
export const UPSTREAM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Methods an upstream may be called with. CONNECT and TRACE never: the gateway refuses them outright. */
export const HttpMethod = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
export type HttpMethod = z.infer<typeof HttpMethod>;

const ACTION = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A record whose keys must match `pattern`: the issue names the key, where zod's own says "Invalid key in record". */
function namedRecord<T extends z.ZodType>(pattern: RegExp, rule: string, value: T) {
  return z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!pattern.test(key)) ctx.addIssue({ code: "custom", path: [key], message: rule });
    }
  });
}
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Headers whose meaning belongs to the HTTP connection or the gateway itself: never an injection point. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "proxy-connection",
  "forwarded",
  "cookie",
]);

/** `<mount>/<path>` as `vault kv get` takes it: segments without dots-only names, never a leading or trailing `/`. */
const vaultKvPath = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]+(?:\/[A-Za-z0-9_.@-]+)+$/, "<mount>/<path>, e.g. secret/github (never with data/)")
  .refine((p) => !p.split("/").some((s) => /^\.+$/.test(s)), "no '.' or '..' segment");

const SecretRef = z.strictObject({
  vault_kv: vaultKvPath,
  key: z.string().min(1).max(256),
});
export type SecretRef = z.infer<typeof SecretRef>;

const HeaderAuth = z.strictObject({
  type: z.literal("header"),
  name: z
    .string()
    .regex(HEADER_NAME, "an HTTP header name")
    .transform((n) => n.toLowerCase())
    .refine(
      (n) => !RESERVED_HEADERS.has(n) && !n.startsWith("x-forwarded-"),
      "a header the gateway controls",
    ),
  /** How the header value is built; `{secret}` stands for the secret, exactly once. */
  format: z
    .string()
    .max(256)
    .regex(/^[\x20-\x7e]*$/, "printable ASCII only (no CR, LF or NUL)")
    .refine((f) => f.split("{secret}").length === 2, "must contain {secret} exactly once")
    .default("{secret}"),
  secret: SecretRef,
});

const QueryAuth = z.strictObject({
  type: z.literal("query"),
  name: z.string().regex(/^[A-Za-z0-9_.~-]{1,128}$/, "a query parameter name (letters, digits, _ . ~ -)"),
  secret: SecretRef,
});

const AwsSigV4Auth = z.strictObject({
  type: z.literal("aws-sigv4"),
  /** An alias of `providers.aws-sts.targets`: the role whose session signs the requests. */
  target: z.string().regex(/^[\w.-]{1,64}$/, "an aws-sts target alias"),
  service: z.string().regex(/^[a-z0-9-]{1,64}$/, "an AWS service signing name, e.g. s3"),
  region: z.string().regex(/^[a-z0-9-]{1,64}$/, "an AWS region, e.g. eu-west-1"),
});

const VaultTokenAuth = z.strictObject({
  type: z.literal("vault-token"),
  /** A target of `providers.vault.targets`: the policies of the token injected as X-Vault-Token. */
  target: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "a vault target name"),
});

export const UpstreamAuth = z.discriminatedUnion("type", [
  HeaderAuth,
  QueryAuth,
  AwsSigV4Auth,
  VaultTokenAuth,
]);
export type UpstreamAuth = z.infer<typeof UpstreamAuth>;

/** The path as written (URL parsing would resolve `%2e%2e` and dot segments away, hiding them). */
function canonicalBasePath(raw: string): boolean {
  const path = /^https?:\/\/[^/?#]*(\/[^?#]*)?$/i.exec(raw)?.[1] ?? "";
  return (
    /^(?:\/[A-Za-z0-9_.~!$&'()*+,;=:@-]+)*\/?$/.test(path) && !path.split("/").some((s) => /^\.+$/.test(s))
  );
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * An origin with an optional base path, no query, fragment or credentials. The secret travels to it, so it must be
 * https unless it is on this machine (the development emulators).
 */
const upstreamUrl = z
  .url({ protocol: /^https?$/ })
  .superRefine((raw, ctx) => {
    const url = new URL(raw);
    const problem =
      url.username || url.password
        ? "no credentials in the URL"
        : url.search || url.hash || /[?#]/.test(raw)
          ? "no query or fragment"
          : url.protocol === "http:" && !LOOPBACK.test(url.hostname)
            ? "https (http only on loopback)"
            : !canonicalBasePath(raw)
              ? "a canonical base path (no empty, '.' or '..' segment, no percent-encoding)"
              : undefined;
    if (problem) ctx.addIssue({ code: "custom", message: `an upstream URL needs ${problem}` });
  })
  .transform((raw) => raw.replace(/\/+$/, ""));

export const GatewayUpstream = z.strictObject({
  url: upstreamUrl,
  auth: UpstreamAuth,
  /** Intent action -> the methods it allows, replacing that action's default; `[]` disables an action. */
  methods: namedRecord(
    ACTION,
    "actions are 1-128 of letters, digits, _ . : -",
    z.array(HttpMethod).max(7),
  ).optional(),
});
export type GatewayUpstream = z.infer<typeof GatewayUpstream>;

/** The gateway's own Vault identity for `vault_kv` secrets: `providers.vault` without its targets. */
export const GatewayVaultConfig = VaultProviderConfig.omit({ targets: true });
export type GatewayVaultConfig = z.infer<typeof GatewayVaultConfig>;

export const GatewayConfig = z.strictObject({
  upstreams: namedRecord(
    UPSTREAM_NAME,
    "upstream names match [a-z0-9][a-z0-9-]{0,62}",
    GatewayUpstream,
  ).refine((u) => Object.keys(u).length > 0, "configure at least one upstream"),
  vault: GatewayVaultConfig.optional(),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayConfigInput = z.input<typeof GatewayConfig>;

const DEFAULT_METHODS: Readonly<Record<string, readonly HttpMethod[]>> = {
  read: ["GET", "HEAD"],
  write: ["POST", "PUT", "PATCH"],
  delete: ["DELETE"],
};

/** S3 listing (`?list-type=2&prefix=K`) is a GET on the bucket: action `list` on resource `K`. */
const S3_METHODS: Readonly<Record<string, readonly HttpMethod[]>> = { ...DEFAULT_METHODS, list: ["GET"] };

/** The methods an intent action allows on an upstream: its own `methods` entry, else the defaults; none: `[]`. */
export function methodsFor(upstream: GatewayUpstream, action: string): readonly string[] {
  const { methods } = upstream;
  if (methods && Object.hasOwn(methods, action)) return methods[action] ?? [];
  const defaults =
    upstream.auth.type === "aws-sigv4" && upstream.auth.service === "s3" ? S3_METHODS : DEFAULT_METHODS;
  return Object.hasOwn(defaults, action) ? (defaults[action] ?? []) : [];
}
