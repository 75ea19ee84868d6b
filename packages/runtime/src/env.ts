import { z } from "zod";
import { FailpointsSpec } from "./failpoints.js";
import { checkRedisDeployment, RedisEnvShape } from "./redis-env.js";
import { checkPendingGrace } from "./timing-env.js";

/** `https://h[:port]` exactly: what browsers send as `Origin` (no path, no trailing slash). */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** Written as the URL parser writes it (but for trailing slashes, which are dropped): no other spelling. */
function isNormalUrl(value: string): boolean {
  const trimmed = value.replace(/\/+$/, "");
  try {
    const written = new URL(trimmed).href;
    return written === trimmed || written === `${trimmed}/`;
  } catch {
    return false;
  }
}

const int = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const RuntimeEnvFields = z.object({
  PORT: int(8080, 0),
  HOST: z.string().default("127.0.0.1"),
  ...RedisEnvShape,
  LEASH_CONFIG: z.string().min(1, "must name the trust configuration file (JSON or YAML)"),
  LEASH_SIGNING_KEY_FILE: z.string().min(1, "must name the task-token signing key file"),
  /** The tokens' `iss` and the prefix of /mcp's resource, which the token endpoint accepts only in normal form. */
  LEASH_PUBLIC_URL: z
    .string()
    .url()
    .refine(isNormalUrl, "must be written in normal form (lower-case host, no default port, no dot segment)")
    .optional(),
  LEASH_REDIS_PREFIX: z
    .string()
    // Redis Cluster hashes what lies between the first "{" and the next "}", when that is not empty.
    .regex(/^[^{]*\{[^}]+\}/, "must contain a {hash tag}")
    .default("leash:{leash}:"),
  /**
   * How many shards (hash tags) Leash spreads its keys over, so a Redis Cluster carries it on several primaries
   * (README "Beyond one Redis"). Changing it on a store that holds data is `leash shards migrate`.
   */
  LEASH_SHARDS: z.coerce.number().int().min(1).max(1024).default(1),
  /** How often the worker anchors every shard's audit chain head in a signed record (with several shards). */
  LEASH_AUDIT_ANCHOR_INTERVAL_MS: int(10_000, 100),
  LEASH_ENVIRONMENT: z.string().default("production"),
  LEASH_DEFAULT_TTL_SECONDS: int(300),
  LEASH_MAX_TTL_SECONDS: int(3600),
  LEASH_MAX_TASK_TTL_SECONDS: int(86_400),
  LEASH_MAX_DELEGATION_DEPTH: int(3, 0),
  LEASH_MINT_TIMEOUT_MS: int(10_000),
  LEASH_BODY_LIMIT_BYTES: int(65_536),
  LEASH_POLICY_DIR: z.string().optional(),
  LEASH_WORKER_CONCURRENCY: int(64),
  /**
   * The nice value the worker runs its JavaScript at (0-19): on a host it shares with the API, a higher value lets
   * issuance have the CPU first when both want it (README "Continuous authorization").
   */
  LEASH_WORKER_NICE: z.coerce.number().int().min(0).max(19).default(0),
  LEASH_DEADLINE_POLL_MS: int(100, 10),
  LEASH_PENDING_GRACE_MS: int(30_000, 1_000),
  LEASH_RECONCILE_INTERVAL_MS: int(5_000, 100),
  LEASH_JOB_LOCK_MS: int(30_000, 500),
  /** After SIGTERM/SIGINT/SIGHUP a process stops within this, whatever is unreachable (shutdown.ts). */
  LEASH_SHUTDOWN_TIMEOUT_MS: int(10_000),
  /** Where the gateway listens (on HOST), and the base of the `base_url` its leases carry. */
  LEASH_GATEWAY_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  LEASH_GATEWAY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Where the API checks that the gateway is up, when the public URL is not reachable from it (a load balancer). */
  LEASH_GATEWAY_HEALTH_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The gateway refuses every request (503) while its view of ended leases has not proved current for this long. */
  LEASH_GATEWAY_STALE_MS: int(1_000, 100),
  /** Origins besides LEASH_PUBLIC_URL's whose browsers may call /mcp, comma-separated (`https://console.example`). */
  LEASH_MCP_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((o) => o.trim())
        .filter((o) => o !== ""),
    )
    .pipe(
      z.array(z.url({ protocol: /^https?$/ }).refine(isOrigin, "must be an origin (scheme://host[:port])")),
    ),
  LEASH_APPROVAL_TTL_SECONDS: int(900),
  LEASH_RATE_LIMIT_PER_SECOND: int(100),
  LEASH_RATE_LIMIT_BURST: int(200),
  LEASH_BREAK_GLASS_MAX_SECONDS: int(900),
  /** Audit events older than this are trimmed behind a signed checkpoint; 0 keeps them forever. */
  LEASH_AUDIT_RETENTION_SECONDS: int(90 * 86_400, 0),
  /**
   * Ended leases and tasks (and completed campaigns), with their index entries, are removed this long after they
   * end; live ones never are. What must be kept longer is in the audit log and its export.
   */
  LEASH_LEASE_RETENTION_SECONDS: int(7 * 86_400),
  LEASH_AUDIT_TRIM_INTERVAL_MS: int(3_600_000, 1_000),
  /** The worker serves Prometheus metrics on this port when set (the API serves its own at /metrics). */
  LEASH_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Test only: crash points for the fault-injection suite (see failpoints.ts); unset in any real deployment. */
  LEASH_FAILPOINTS: FailpointsSpec.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** Every environment variable Leash reads, validated once at start-up. The README lists them all. */
export const RuntimeEnv = RuntimeEnvFields.superRefine(checkRedisDeployment).superRefine(checkPendingGrace);
export type RuntimeEnv = z.infer<typeof RuntimeEnv>;

/** Parses the environment or exits non-zero naming each bad variable (never printing values: some are secrets). */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const parsed = RuntimeEnv.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  process.stderr.write(`leash: invalid environment\n${lines.join("\n")}\n`);
  process.exit(2);
}

/** What `leash shards migrate` needs of the environment: how to reach Redis, the prefix and LEASH_SHARDS. */
export const ShardsEnv = z
  .object({
    ...RedisEnvShape,
    LEASH_REDIS_PREFIX: RuntimeEnvFields.shape.LEASH_REDIS_PREFIX,
    LEASH_SHARDS: RuntimeEnvFields.shape.LEASH_SHARDS,
  })
  .superRefine(checkRedisDeployment);
export type ShardsEnv = z.infer<typeof ShardsEnv>;
