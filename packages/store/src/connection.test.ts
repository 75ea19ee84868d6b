import { describe, expect, it } from "vitest";
import { describeTarget, type RedisTarget, redisEnvOf, redisTargetOf } from "./connection.js";
import { keyspace } from "./keys.js";

describe("Redis targets", () => {
  it("maps the validated environment to a target, and a target to the environment a parent passes on", () => {
    const nodes = [
      { host: "a", port: 7000 },
      { host: "b", port: 7001 },
    ];
    expect(redisTargetOf({ REDIS_CLUSTER_NODES: nodes, REDIS_PASSWORD: "p" })).toEqual({
      kind: "cluster",
      nodes,
      password: "p",
    });
    expect(redisEnvOf({ kind: "cluster", nodes, password: "p" })).toEqual({
      REDIS_CLUSTER_NODES: "a:7000,b:7001",
      REDIS_PASSWORD: "p",
    });
    const sentinel: RedisTarget = { kind: "sentinel", sentinels: nodes, name: "m", sentinelPassword: "q" };
    expect(
      redisTargetOf({ REDIS_SENTINELS: nodes, REDIS_SENTINEL_NAME: "m", REDIS_SENTINEL_PASSWORD: "q" }),
    ).toEqual(sentinel);
    expect(redisEnvOf(sentinel)).toEqual({
      REDIS_SENTINELS: "a:7000,b:7001",
      REDIS_SENTINEL_NAME: "m",
      REDIS_SENTINEL_PASSWORD: "q",
    });
    expect(redisTargetOf({ REDIS_URL: "redis://h:1" })).toEqual({ kind: "single", url: "redis://h:1" });
    expect(() => redisTargetOf({})).toThrow(/REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS/);
  });

  it("describes where Redis is without its credentials", () => {
    expect(describeTarget("redis://user:hunter2@h:6380/0")).toBe("Redis at h:6380");
    const cluster: RedisTarget = { kind: "cluster", nodes: [{ host: "a", port: 1 }], password: "hunter2" };
    expect(describeTarget(cluster)).toBe("the Redis Cluster at a:1");
    expect(
      describeTarget({ ...cluster, kind: "sentinel", sentinels: cluster.nodes, name: "m" }),
    ).not.toContain("hunter2");
  });

  it("every key of a keyspace carries the prefix's hash tag; a prefix without one is refused", () => {
    const k = keyspace("app:{leash}:");
    for (const key of [k.lease("x"), k.task("t}{"), k.agentLeases("a"), k.idempotency("a", "k"), k.none])
      expect(/^[^{]*\{([^}]+)\}/.exec(key)?.[1]).toBe("leash");
    expect(() => keyspace("app:leash:")).toThrow(/hash tag/);
    expect(() => keyspace("a{}{b}:")).toThrow(/hash tag/);
  });
});
