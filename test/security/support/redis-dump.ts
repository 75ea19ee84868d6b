import { Redis } from "ioredis";

export interface RedisDump {
  keys: number;
  types: Set<string>;
  /** Every key and every value under the prefix, as text, one key per line. */
  text: string;
}

async function readKey(redis: Redis, key: string, type: string): Promise<unknown> {
  switch (type) {
    case "string":
      return redis.get(key);
    case "hash":
      return redis.hgetall(key);
    case "list":
      return redis.lrange(key, 0, -1);
    case "set":
      return redis.smembers(key);
    case "zset":
      return redis.zrange(key, 0, -1, "WITHSCORES");
    case "stream":
      return redis.xrange(key, "-", "+");
    default:
      // A type this dump cannot read would hide whatever it holds: fail instead of skipping it.
      throw new Error(`cannot dump key ${key} of type ${type}`);
  }
}

/** Reads every key under `prefix` with the command its type needs (SCAN, so a large keyspace is not blocked). */
export async function dumpRedis(url: string, prefix: string): Promise<RedisDump> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const lines: string[] = [];
    const types = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === "none") continue; // expired between SCAN and TYPE
        types.add(type);
        lines.push(`${key} ${type} ${JSON.stringify(await readKey(redis, key, type))}`);
      }
    } while (cursor !== "0");
    return { keys: lines.length, types, text: lines.join("\n") };
  } finally {
    redis.disconnect();
  }
}
