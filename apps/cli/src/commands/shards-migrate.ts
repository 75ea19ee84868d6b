import { ShardsEnv } from "@leash/runtime";
import {
  connectRedis,
  describeTarget,
  type MigrationReport,
  migrateShards,
  redisTargetOf,
  waitReady,
} from "@leash/store";
import { type Command, EXIT, parse, UsageError } from "./support/command.js";

const HELP = `leash shards migrate — move the store to LEASH_SHARDS shards (README "Beyond one Redis")

Usage:
  leash shards migrate [--to <n>] [--timeout <seconds>] [--json]

Reads the Redis settings (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS, LEASH_REDIS_PREFIX) from the
environment, like the services. Growing adds shards (with the suspensions in force), waits until every running
API, worker and gateway process follows the new map (each restarts itself to serve the new shards: run them under a
supervisor), then opens them to new task trees. Shrinking closes the shards past <n> to new task trees and waits
until they hold no live lease and no active task; they stay readable and are still worked and swept. No task or
lease moves. Each step is recorded before the next: interrupt it and run it again, and it goes on from where it was.

Options:
  --to <n>             shards to move to (default: LEASH_SHARDS)
  --timeout <seconds>  stop waiting after this long (default 600); running it again continues
  --json               one JSON line per step: {"step", "open", "count", "left"?}

Examples:
  LEASH_SHARDS=12 leash shards migrate
  leash shards migrate --to 4 --timeout 3600
`;

function describe(r: MigrationReport): string {
  const open = `${r.map.open} of ${r.map.count} shards open`;
  switch (r.step) {
    case "added":
      return `shards added (${open}); the running processes restart to serve them`;
    case "waiting_for_processes":
      return `waiting for ${r.left} process(es) to follow the new shard map`;
    case "opened":
      return `new task trees now go to ${r.map.open} shards`;
    case "closed":
      return `shards ${r.map.open}-${r.map.count - 1} take no new task trees (${open})`;
    case "waiting_for_drain":
      return `waiting for ${r.left} live lease(s) and active task(s) to end in the closed shards`;
    case "done":
      return `done: ${open}`;
  }
}

export const shardsMigrate: Command = {
  path: ["shards", "migrate"],
  summary: "move the store to LEASH_SHARDS shards (safe to interrupt and rerun)",
  help: HELP,
  async run(argv, io) {
    const { values } = parse(argv, {
      to: { type: "string" },
      timeout: { type: "string", default: "600" },
      json: { type: "boolean" },
    });
    const parsed = ShardsEnv.safeParse({ ...io.env, ...(values.to ? { LEASH_SHARDS: values.to } : {}) });
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "--to"}: ${i.message}`);
      throw new UsageError(`invalid settings\n${lines.join("\n")}`);
    }
    const timeout = Number(values.timeout);
    if (!Number.isInteger(timeout) || timeout < 1)
      throw new UsageError("--timeout must be a whole number of seconds");
    const env = parsed.data;
    const target = redisTargetOf(env);
    const redis = connectRedis(target, { mode: "request", name: "leash-shards-migrate" });
    redis.on("error", () => undefined);
    try {
      await waitReady(redis, 10_000, describeTarget(target));
      let last = "";
      const report = (r: MigrationReport) => {
        // One line per step (NDJSON), so a pipeline can follow it as it goes.
        if (values.json) {
          const step = { step: r.step, open: r.map.open, count: r.map.count, left: r.left };
          io.stdout.write(`${JSON.stringify(step)}\n`);
          return;
        }
        const line = describe(r);
        if (line !== last) io.stdout.write(`${line}\n`);
        last = line;
      };
      await migrateShards(redis, env.LEASH_REDIS_PREFIX, env.LEASH_SHARDS, {
        report,
        signal: AbortSignal.timeout(timeout * 1000),
      });
      return EXIT.ok;
    } catch (error) {
      if ((error as Error).name !== "TimeoutError") throw error;
      io.stderr.write(`leash: gave up waiting after ${timeout} s; run it again to go on from here\n`);
      return EXIT.failure;
    } finally {
      redis.disconnect();
    }
  },
};
