/**
 * The layering rules `pnpm lint` enforces (DESIGN.md "Layout"): dependencies point inward to core, which does no
 * I/O; a package is used only through its public entry points (its package.json "exports"); nothing in packages/
 * reaches into an app; the SDK stays usable without the server. scripts/depcruise.test.ts proves each rule bites.
 */

/** The workspace packages that implement core's ports or run things: core must never depend on them. */
const ADAPTERS = "(store|providers|identity|policy|queue|devstack|runtime|sdk)";

/** Node built-ins that do I/O (files, network, processes): core takes these as ports instead. */
const NODE_IO =
  "^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|dns|dns/promises|child_process|cluster|worker_threads|readline|os|process|stream|inspector|vm)$";

/** The public entry points of each package: its package.json "exports", nothing else under src/. */
const PUBLIC_ENTRIES = [
  "^packages/[^/]+/src/index\\.ts$",
  "^packages/core/src/resource\\.ts$",
  "^packages/core/src/oauth/resource-indicator\\.ts$",
  "^packages/store/src/testing/fixtures\\.ts$",
  "^packages/core/src/testing/index\\.ts$",
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-not-to-adapters",
      comment:
        "core defines the domain and the ports; store, providers, identity, policy, queue, devstack, runtime and the SDK implement or use them, never the other way round",
      severity: "error",
      from: { path: "^packages/core/" },
      to: { path: [`^packages/${ADAPTERS}/`, "^apps/"] },
    },
    {
      name: "core-no-io",
      comment: "core does no I/O: files, network and processes come through ports",
      severity: "error",
      from: { path: "^packages/core/" },
      to: { dependencyTypes: ["core"], path: NODE_IO },
    },
    {
      name: "core-timers-only-in-clock",
      comment:
        "core waits only through the Clock port, so a frozen clock freezes all of Leash: real timers belong to the system clock alone",
      severity: "error",
      from: { path: "^packages/core/", pathNot: "^packages/core/src/clock\\.ts$" },
      to: { dependencyTypes: ["core"], path: "^(node:)?timers(/promises)?$" },
    },
    {
      name: "core-no-io-libraries",
      comment:
        "core depends on zod only (and test libraries in tests): a client library (ioredis, bullmq, AWS SDK, node-vault, jose, pino, hono...) belongs in an adapter",
      severity: "error",
      from: { path: "^packages/core/", pathNot: "\\.test\\.ts$" },
      to: {
        dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"],
        pathNot: "(^|/)node_modules/zod/",
      },
    },
    {
      name: "no-package-internals",
      comment:
        "another package is used through its public entry (package.json exports), never a file inside it: the entry is the contract, the rest may move",
      severity: "error",
      from: { path: "^(apps|packages)/([^/]+)/" },
      to: {
        path: "^packages/([^/]+)/",
        pathNot: ["^packages/$2/", ...PUBLIC_ENTRIES],
      },
    },
    {
      name: "store-testing-only-in-tests",
      comment:
        "the store's fixtures and core's fakes are for tests; production code reaches the store through its ports",
      severity: "error",
      from: { path: "^(apps|packages)/", pathNot: "(\\.test\\.ts$|/testing/)" },
      to: { path: "^packages/(store|core)/src/testing/" },
    },
    {
      name: "packages-not-to-apps",
      comment: "apps are wiring over packages: a package that imports an app inverts the layering",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "apps-not-to-other-apps",
      comment: "an app does not import another app; what two apps share belongs in a package",
      severity: "error",
      from: { path: "^apps/([^/]+)/" },
      to: { path: "^apps/", pathNot: "^apps/$1/" },
    },
    {
      name: "sdk-standalone",
      comment: "the SDK ships to agents and tools: it may use core's pure modules, never a server package",
      severity: "error",
      from: { path: "^packages/sdk/" },
      to: { path: [`^packages/${ADAPTERS}/`], pathNot: "^packages/sdk/" },
    },
    {
      name: "not-to-unresolvable",
      comment: "an import that does not resolve (for instance a package subpath its exports do not list)",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "no-circular-packages",
      comment: "packages that import each other in a cycle are one unit: break the cycle with a port in core",
      severity: "error",
      from: { path: "^(apps|packages)/([^/]+)/" },
      to: { circular: true, path: "^(apps|packages)/", pathNot: "^(apps|packages)/$2/" },
    },
  ],
  options: {
    exclude: { path: "(^|/)dist/" },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["leash-source", "import", "node", "default"],
      extensions: [".ts", ".tsx", ".js", ".json"],
      mainFields: ["main", "types"],
    },
  },
};
