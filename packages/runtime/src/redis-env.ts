import { z } from "zod";

/** `host:port` (or `[v6-address]:port`), comma-separated. */
const hostPortList = (what: string) =>
  z.string().transform((value, ctx) => {
    const nodes: { host: string; port: number }[] = [];
    for (const entry of value.split(",").map((s) => s.trim())) {
      const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[3]);
      const host = match?.[1] ?? match?.[2];
      if (!host || !(port > 0 && port < 65_536)) {
        ctx.addIssue({ code: "custom", message: `must list ${what} as host:port,host:port,...` });
        return z.NEVER;
      }
      nodes.push({ host, port });
    }
    return nodes;
  });

/** An empty value (`REDIS_URL=` in a shell or a compose file) counts as unset. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** Where Redis is and how hard a write is kept: spread into RuntimeEnv, checked by `checkRedisDeployment`. */
export const RedisEnvShape = {
  /** One Redis (or a proxy in front of one). */
  REDIS_URL: optional(z.string().url({ message: "must be a redis:// URL" })),
  /** Any nodes of a Redis Cluster; the client discovers the others. */
  REDIS_CLUSTER_NODES: optional(hostPortList("cluster nodes")),
  /** Sentinels that monitor the primary named REDIS_SENTINEL_NAME; the client follows it across failovers. */
  REDIS_SENTINELS: optional(hostPortList("sentinels")),
  REDIS_SENTINEL_NAME: optional(z.string()),
  /** Credentials of the data nodes for Cluster and Sentinel (with REDIS_URL they go in the URL). */
  REDIS_USERNAME: optional(z.string()),
  REDIS_PASSWORD: optional(z.string()),
  REDIS_SENTINEL_PASSWORD: optional(z.string()),
  /** Acknowledged writes wait until this many replicas hold them (WAIT), so a failover cannot lose them. */
  LEASH_REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).default(0),
  LEASH_REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).default(500),
};

interface RedisDeployment {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: unknown;
  REDIS_SENTINELS?: unknown;
  REDIS_SENTINEL_NAME?: string | undefined;
}

const CHOICES = "REDIS_URL (one Redis), REDIS_CLUSTER_NODES (a Redis Cluster) or REDIS_SENTINELS (Sentinel)";

/** Exactly one way to reach Redis, and Sentinel only with the name of the primary it monitors. */
export function checkRedisDeployment(env: RedisDeployment, ctx: z.RefinementCtx): void {
  const given = (["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS"] as const).filter(
    (name) => env[name] !== undefined,
  );
  if (given.length === 0)
    ctx.addIssue({ code: "custom", path: ["REDIS_URL"], message: `set one of ${CHOICES}` });
  if (given.length > 1)
    for (const name of given)
      ctx.addIssue({ code: "custom", path: [name], message: `set only one of ${given.join(", ")}` });
  if (env.REDIS_SENTINELS !== undefined && env.REDIS_SENTINEL_NAME === undefined)
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_SENTINEL_NAME"],
      message: "must name the primary the sentinels monitor (the <name> of their `sentinel monitor`)",
    });
  if (env.REDIS_SENTINEL_NAME !== undefined && env.REDIS_SENTINELS === undefined)
    ctx.addIssue({ code: "custom", path: ["REDIS_SENTINELS"], message: "must list the sentinels to ask" });
}
