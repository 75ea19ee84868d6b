import { randomUUID } from "node:crypto";
import { connectRedis, readShardMap } from "@leash/store";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runCli } from "./testing/run-cli.js";

const redis = connectRedis(inject("redisUrl"), { mode: "worker" });
afterAll(() => redis.quit());

/** `leash shards migrate` as an operator runs it: its own process, configured through its environment. */
const migrate = (args: string[], env: Record<string, string>) => runCli(["shards", "migrate", ...args], env);

describe("leash shards migrate", () => {
  it("moves an empty store to LEASH_SHARDS, says each step, and is a no-op when run again", async () => {
    const prefix = `cli:{${randomUUID()}}:`;
    const env = { REDIS_URL: inject("redisUrl"), LEASH_REDIS_PREFIX: prefix, LEASH_SHARDS: "3" };
    const first = await migrate([], env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/shards added/);
    expect(first.stdout).toMatch(/done: 3 of 3 shards open/);
    expect(await readShardMap(redis, prefix)).toMatchObject({ count: 3, open: 3 });
    const again = await migrate(["--json", "--to", "3"], env);
    expect(again.code).toBe(0);
    expect(
      again.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { step: string }),
    ).toEqual([{ step: "done", open: 3, count: 3 }]);
  }, 60_000);

  it("refuses bad settings with a reason and exit 2, before touching Redis", async () => {
    const prefix = `cli:{${randomUUID()}}:`;
    const bad = await migrate(["--to", "0"], { REDIS_URL: inject("redisUrl"), LEASH_REDIS_PREFIX: prefix });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/LEASH_SHARDS/);
    const noRedis = await migrate([], { LEASH_REDIS_PREFIX: prefix, LEASH_SHARDS: "2" });
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toMatch(/REDIS_URL/);
    expect(await readShardMap(redis, prefix)).toBeNull();
  }, 60_000);
});
