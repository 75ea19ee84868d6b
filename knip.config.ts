import type { KnipConfig } from "knip";

/**
 * `pnpm lint` fails on dead weight: files nothing reaches, exports nothing imports, dependencies nothing uses and
 * imports nothing declares. Entries are what starts a process or a test; everything else must be reachable from them.
 */
const config: KnipConfig = {
  // Spawned from the system, not from node_modules: redis-server, and setpriv (util-linux), which ties a child's life
  // to its parent's on Linux.
  ignoreBinaries: ["redis-server", "setpriv"],
  workspaces: {
    ".": {
      // The JSX runtime named by tsconfig.base.json (jsxImportSource) is the API's hono, declared there.
      ignoreDependencies: ["hono"],
    },
    "apps/*": {
      // Processes are started by path (packages/devstack/src/processes.ts, the Dockerfile), not imported.
      entry: ["src/main.ts"],
      project: ["src/**/*.{ts,tsx}"],
    },
    "apps/api": {
      entry: ["src/main.ts"],
      project: ["src/**/*.{ts,tsx}"],
      // The API docs page serves swagger-ui-dist's files, found with require.resolve rather than imported.
      ignoreDependencies: ["swagger-ui-dist"],
    },
    "packages/sdk": {
      project: ["src/**/*.ts"],
      // Generated from the API's OpenAPI document: the SDK uses the parts it needs.
      ignoreIssues: { "src/generated/**": ["exports", "types"] },
    },
    "packages/policy": {
      // The policy loading thread is started by path (src/off-thread.ts), not imported.
      entry: ["src/load-thread.ts"],
      project: ["src/**/*.ts"],
    },
    "packages/*": {
      project: ["src/**/*.ts"],
    },
    test: {
      // Helper servers and the redis holder are run by path (test/bench/stack.ts, test/e2e/shutdown.test.ts); the benchmarks are found through package.json scripts.
      entry: ["bench/*-server.ts", "support/redis-holder.ts"],
      project: ["**/*.ts"],
    },
  },
};

export default config;
