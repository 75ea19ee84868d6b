import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

/** A connection to one Redis, a Sentinel-managed primary, or a Redis Cluster: the store's commands work on all. */
export type RedisClient = Redis | Cluster;

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where Redis is. `single`: one server (or a proxy) by URL. `sentinel`: the primary that Sentinel names, followed
 * across failovers. `cluster`: a Redis Cluster reached through any of its nodes. Credentials of the data nodes are
 * `username`/`password` (for `single` they go in the URL); `sentinelPassword` authenticates to the sentinels.
 */
export type RedisTarget =
  | { kind: "single"; url: string }
  | {
      kind: "sentinel";
      sentinels: HostPort[];
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
    }
  | { kind: "cluster"; nodes: HostPort[]; username?: string; password?: string };

export interface ConnectOptions {
  /**
   * `request`: fail fast while Redis is unreachable, so the API answers 503 at once and never issues a credential
   * it could not record (fail closed). `worker`: wait and reconnect, as BullMQ requires.
   */
  mode: "request" | "worker";
  name?: string;
}

const reconnectDelay = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000);

function nodeOptions(options: ConnectOptions): RedisOptions {
  const common: RedisOptions = { connectionName: options.name, retryStrategy: reconnectDelay };
  if (options.mode === "worker") return { ...common, maxRetriesPerRequest: null };
  return {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  };
}

/** A demoted primary answers writes with READONLY until the client notices the failover: reconnect at once. */
const reconnectOnReadOnly = (error: Error) => (error.message.startsWith("READONLY") ? 2 : false);

export function connectRedis(target: RedisTarget | string, options: ConnectOptions): RedisClient {
  const t: RedisTarget = typeof target === "string" ? { kind: "single", url: target } : target;
  const node = nodeOptions(options);
  switch (t.kind) {
    case "single":
      return new Redis(t.url, { ...node, lazyConnect: false });
    case "sentinel":
      return new Redis({
        ...node,
        sentinels: t.sentinels,
        name: t.name,
        role: "master",
        username: t.username,
        password: t.password,
        sentinelPassword: t.sentinelPassword,
        sentinelRetryStrategy: reconnectDelay,
        // Subscribes to the sentinels' +switch-master, so a manual failover is seen without waiting for an error.
        failoverDetector: true,
        reconnectOnError: reconnectOnReadOnly,
      });
    case "cluster": {
      const cluster: ClusterOptions = {
        redisOptions: { ...node, username: t.username, password: t.password },
        clusterRetryStrategy: reconnectDelay,
        // Request connections refuse at once while the cluster cannot serve (fail closed); workers wait.
        enableOfflineQueue: options.mode === "worker",
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
      };
      return new Cluster(t.nodes, cluster);
    }
  }
}

/** Where the client points, for messages: hosts and ports only, never credentials. */
export function describeTarget(target: RedisTarget | string): string {
  const t: RedisTarget = typeof target === "string" ? { kind: "single", url: target } : target;
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(",");
  if (t.kind === "sentinel") return `the Sentinel primary "${t.name}" (sentinels ${list(t.sentinels)})`;
  if (t.kind === "cluster") return `the Redis Cluster at ${list(t.nodes)}`;
  try {
    const url = new URL(t.url);
    return `Redis at ${url.hostname}:${url.port || "6379"}`;
  } catch {
    return "Redis (unparsable URL)";
  }
}

/** Resolves once the connection is ready, or rejects with a message naming where Redis is (never a password). */
export async function waitReady(redis: RedisClient, timeoutMs = 10_000, where = "Redis"): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${where} is not reachable`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off("ready", onReady);
    };
    redis.on("ready", onReady);
  });
}

/** The Redis settings of the validated environment (see @leash/runtime's RuntimeEnv). */
export interface RedisSettings {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: HostPort[] | undefined;
  REDIS_SENTINELS?: HostPort[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

/** Cluster, then Sentinel, then a single URL (the environment's validation lets only one be set). */
export function redisTargetOf(env: RedisSettings): RedisTarget {
  const auth = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
  };
  if (env.REDIS_CLUSTER_NODES?.length) return { kind: "cluster", nodes: env.REDIS_CLUSTER_NODES, ...auth };
  if (env.REDIS_SENTINELS?.length)
    return {
      kind: "sentinel",
      sentinels: env.REDIS_SENTINELS,
      name: env.REDIS_SENTINEL_NAME ?? "mymaster",
      ...auth,
      ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
    };
  if (!env.REDIS_URL)
    throw new Error("no Redis configured: set REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS");
  return { kind: "single", url: env.REDIS_URL };
}

/** The environment variables that describe a target: what a parent process passes to the API and the worker. */
export function redisEnvOf(target: RedisTarget): Record<string, string> {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(",");
  if (target.kind === "single") return { REDIS_URL: target.url };
  const auth = {
    ...(target.username ? { REDIS_USERNAME: target.username } : {}),
    ...(target.password ? { REDIS_PASSWORD: target.password } : {}),
  };
  if (target.kind === "cluster") return { REDIS_CLUSTER_NODES: list(target.nodes), ...auth };
  return {
    REDIS_SENTINELS: list(target.sentinels),
    REDIS_SENTINEL_NAME: target.name,
    ...auth,
    ...(target.sentinelPassword ? { REDIS_SENTINEL_PASSWORD: target.sentinelPassword } : {}),
  };
}
