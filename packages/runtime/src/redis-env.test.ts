import { describe, expect, it } from "vitest";
import { RuntimeEnv } from "./env.js";

const base = { LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k" };
const problems = (env: Record<string, string>) => {
  const parsed = RuntimeEnv.safeParse({ ...base, ...env });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("where Redis is (fail closed at start-up, naming the variable)", () => {
  it("takes one server, a cluster or sentinels, and parses host:port lists", () => {
    expect(RuntimeEnv.parse({ ...base, REDIS_URL: "redis://h:1" }).REDIS_URL).toBe("redis://h:1");
    expect(
      RuntimeEnv.parse({ ...base, REDIS_CLUSTER_NODES: "a:7000, b:7001,[::1]:7002" }).REDIS_CLUSTER_NODES,
    ).toEqual([
      { host: "a", port: 7000 },
      { host: "b", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    const sentinel = RuntimeEnv.parse({
      ...base,
      REDIS_SENTINELS: "s1:26379,s2:26379",
      REDIS_SENTINEL_NAME: "m",
    });
    expect(sentinel.REDIS_SENTINELS).toHaveLength(2);
    expect(sentinel.REDIS_SENTINEL_NAME).toBe("m");
  });

  it("refuses none, several, a sentinel list without the primary's name, and malformed lists", () => {
    expect(problems({})).toEqual([
      expect.stringMatching(/^REDIS_URL: set one of REDIS_URL .*REDIS_CLUSTER_NODES/),
    ]);
    expect(problems({ REDIS_URL: "redis://h:1", REDIS_CLUSTER_NODES: "a:1" })).toEqual([
      "REDIS_URL: set only one of REDIS_URL, REDIS_CLUSTER_NODES",
      "REDIS_CLUSTER_NODES: set only one of REDIS_URL, REDIS_CLUSTER_NODES",
    ]);
    expect(problems({ REDIS_SENTINELS: "s:1" })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: must name/),
    ]);
    expect(problems({ REDIS_CLUSTER_NODES: "a:1,b" })[0]).toMatch(
      /^REDIS_CLUSTER_NODES: must list cluster nodes/,
    );
    expect(problems({ REDIS_CLUSTER_NODES: "a:70000" })[0]).toMatch(/^REDIS_CLUSTER_NODES:/);
  });

  it("counts an empty variable as unset, so a cluster can override an inherited REDIS_URL", () => {
    expect(problems({ REDIS_URL: "", REDIS_CLUSTER_NODES: "a:1" })).toEqual([]);
  });

  it("never echoes a password in a message", () => {
    const secret = "s3cr3t-value";
    const text = problems({ REDIS_SENTINELS: "s:1", REDIS_PASSWORD: secret }).join("\n");
    expect(text).not.toContain(secret);
    expect(
      RuntimeEnv.parse({ ...base, REDIS_URL: "redis://h:1", REDIS_PASSWORD: secret }).REDIS_PASSWORD,
    ).toBe(secret);
  });

  it("wants a non-empty hash tag right at the first brace of the key prefix", () => {
    expect(problems({ REDIS_URL: "redis://h:1", LEASH_REDIS_PREFIX: "app:{leash}:" })).toEqual([]);
    expect(problems({ REDIS_URL: "redis://h:1", LEASH_REDIS_PREFIX: "app:leash:" })).toHaveLength(1);
    // Redis Cluster hashes the whole key when the first braces are empty, whatever follows.
    expect(problems({ REDIS_URL: "redis://h:1", LEASH_REDIS_PREFIX: "a{}{b}:" })).toHaveLength(1);
  });

  it("waits for no replica unless asked", () => {
    const env = RuntimeEnv.parse({ ...base, REDIS_URL: "redis://h:1" });
    expect([env.LEASH_REDIS_WAIT_REPLICAS, env.LEASH_REDIS_WAIT_TIMEOUT_MS]).toEqual([0, 500]);
  });
});
