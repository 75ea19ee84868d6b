import type { RedisTarget } from "@leash/store";
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    /** The same Redis for `connectRedis` and `startStack({ redis })`: in the `cluster` project, a Redis Cluster. */
    redisTarget: RedisTarget;
  }
}
