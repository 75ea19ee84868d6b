import { startRedisServer } from "@leash/devstack";

/** Starts a private redis-server as a test runner would, prints its PID, and waits to be killed. */
const redis = await startRedisServer();
process.stdout.write(`redis-pid ${redis.pid}\n`);
setInterval(() => undefined, 60_000);
