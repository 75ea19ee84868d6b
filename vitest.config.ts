import { defineConfig } from "vitest/config";

/**
 * Three projects: unit tests beside the code (no I/O), integration tests (`*.int.test.ts`) against a private
 * redis-server and the emulators over real HTTP, and end-to-end tests under test/e2e that start real processes.
 * Each project's global setup starts one redis-server on a free port for its run (the `cluster` project a Redis
 * Cluster); each test uses a fresh key prefix.
 */
/** Workspace packages resolve to their TypeScript sources, never to a compiled dist/ (see "exports"). */
const SOURCE_CONDITIONS = ["leash-source", "node", "development|production"];
/**
 * Set on each project, not at the root: a root globalSetup runs once for the root project (named ""), so the
 * `cluster` project would get a single redis-server instead of its Redis Cluster.
 */
const GLOBAL_SETUP = ["./test/support/global-setup.ts"];

export default defineConfig({
  resolve: { conditions: SOURCE_CONDITIONS },
  ssr: { resolve: { conditions: SOURCE_CONDITIONS } },
  environments: { __vitest__: { resolve: { conditions: SOURCE_CONDITIONS } } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          globalSetup: GLOBAL_SETUP,
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "test/lint/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          globalSetup: GLOBAL_SETUP,
          include: ["packages/*/src/**/*.int.test.ts", "apps/*/src/**/*.int.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "security",
          globalSetup: GLOBAL_SETUP,
          include: ["test/security/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
      {
        // The full fault-injection suite runs with `pnpm test:chaos`; its short form (*.short.test.ts) is in pnpm test.
        extends: true,
        test: {
          name: "chaos",
          globalSetup: GLOBAL_SETUP,
          include: ["test/chaos/**/*.chaos.test.ts"],
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 120_000,
        },
      },
      {
        // `pnpm test:cluster`: the end-to-end suite with 12 shards against a Redis Cluster of 3 primaries and 3
        // replicas (the global setup starts it), the store's scripts on it, a primary killed under load, and
        // Sentinel failovers. Not in `pnpm test`: it takes minutes.
        extends: true,
        test: {
          name: "cluster",
          env: { LEASH_SHARDS: process.env.LEASH_SHARDS ?? "12" },
          globalSetup: GLOBAL_SETUP,
          include: ["test/e2e/**/*.test.ts", "test/cluster/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          globalSetup: GLOBAL_SETUP,
          include: ["test/e2e/**/*.test.ts", "test/chaos/**/*.short.test.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
