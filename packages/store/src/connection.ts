import { Redis, type RedisOptions } from "ioredis";

export interface ConnectOptions {
  /**
   * `request`: fail fast while Redis is unreachable, so the API answers 503 at once and never issues a credential
   * it could not record (fail closed). `worker`: wait and reconnect, as BullMQ requires.
   */
  mode: "request" | "worker";
  name?: string;
}

export function connectRedis(url: string, options: ConnectOptions): Redis {
  const common: RedisOptions = {
    connectionName: options.name,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  };
  if (options.mode === "worker") return new Redis(url, { ...common, maxRetriesPerRequest: null });
  return new Redis(url, {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
}

/** Resolves once the connection is ready, or rejects with a message naming the URL's host (never its password). */
export async function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis at ${redis.options.host}:${redis.options.port} is not reachable`));
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
