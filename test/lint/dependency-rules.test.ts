import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The layering rules of `pnpm lint` (.dependency-cruiser.cjs) run against a small workspace laid out like this one,
 * in which each file below breaks one rule (or, for the allowed ones, none). A rule that stops matching, because a
 * regular expression or a resolution option changed, fails here instead of letting the layering rot unnoticed.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DEPCRUISE = join(ROOT, "node_modules/.bin/depcruise");

const PACKAGES = ["core", "store", "providers", "identity", "policy", "queue", "devstack", "runtime", "sdk"];

/** file -> source; every violation the rules must find is listed in EXPECTED. */
const FILES: Record<string, string> = {
  "packages/core/src/index.ts": 'export * from "./clock.js";\n',
  "packages/core/src/clock.ts":
    'import { setTimeout } from "node:timers/promises";\nexport const sleep = setTimeout;\n',
  "packages/core/src/resource.ts": "export const resource = 1;\n",
  "packages/core/src/uses-zod.ts": 'import { z } from "zod";\nexport const schema = z.string();\n',
  "packages/core/src/to-store.ts": 'import { store } from "@leash/store";\nexport const x = store;\n',
  "packages/core/src/to-store-internal.ts":
    'import { keys } from "../../store/src/keys.js";\nexport const x = keys;\n',
  "packages/core/src/to-app.ts":
    'import { api } from "../../../apps/api/src/index.js";\nexport const x = api;\n',
  "packages/core/src/uses-fs.ts": 'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n',
  "packages/core/src/uses-net.ts": 'import { connect } from "net";\nexport const x = connect;\n',
  "packages/core/src/uses-timers.ts":
    'import { setTimeout } from "node:timers/promises";\nexport const x = setTimeout;\n',
  "packages/core/src/uses-ioredis.ts": 'import { Redis } from "ioredis";\nexport const x = Redis;\n',
  "packages/core/src/uses-crypto.ts":
    'import { randomBytes } from "node:crypto";\nexport const x = randomBytes;\n',
  "packages/store/src/index.ts": 'export const store = 1;\nexport { keys } from "./keys.js";\n',
  "packages/store/src/keys.ts": "export const keys = 1;\n",
  "packages/store/src/testing/fixtures.ts": "export const fixture = 1;\n",
  "packages/runtime/src/index.ts": 'import { store } from "@leash/store";\nexport const runtime = store;\n',
  "packages/runtime/src/to-app.ts":
    'import { worker } from "../../../apps/worker/src/index.js";\nexport const x = worker;\n',
  "packages/runtime/src/store-fixture.ts":
    'import { fixture } from "@leash/store/testing";\nexport const x = fixture;\n',
  "packages/sdk/src/index.ts":
    'import { resource } from "@leash/core/resource";\nexport const sdk = resource;\n',
  "packages/sdk/src/to-runtime.ts": 'import { runtime } from "@leash/runtime";\nexport const x = runtime;\n',
  "apps/api/src/index.ts": 'import { store } from "@leash/store";\nexport const api = store;\n',
  "apps/api/src/store-internal.ts":
    'import { keys } from "../../../packages/store/src/keys.js";\nexport const x = keys;\n',
  "apps/api/src/store-subpath.ts":
    'import { keys } from "@leash/store/src/keys.js";\nexport const x = keys;\n',
  "apps/api/src/fixtures.test.ts":
    'import { fixture } from "@leash/store/testing";\nexport const x = fixture;\n',
  "apps/api/src/to-worker.ts":
    'import { worker } from "../../worker/src/index.js";\nexport const x = worker;\n',
  "apps/worker/src/index.ts": 'import { runtime } from "@leash/runtime";\nexport const worker = runtime;\n',
};

const EXPECTED = [
  ["core-not-to-adapters", "packages/core/src/to-store.ts", "packages/store/src/index.ts"],
  ["core-not-to-adapters", "packages/core/src/to-store-internal.ts", "packages/store/src/keys.ts"],
  ["no-package-internals", "packages/core/src/to-store-internal.ts", "packages/store/src/keys.ts"],
  ["core-not-to-adapters", "packages/core/src/to-app.ts", "apps/api/src/index.ts"],
  ["packages-not-to-apps", "packages/core/src/to-app.ts", "apps/api/src/index.ts"],
  ["core-no-io", "packages/core/src/uses-fs.ts", "fs"],
  ["core-no-io", "packages/core/src/uses-net.ts", "net"],
  ["core-timers-only-in-clock", "packages/core/src/uses-timers.ts", "timers/promises"],
  ["core-no-io-libraries", "packages/core/src/uses-ioredis.ts", "node_modules/ioredis/index.js"],
  ["packages-not-to-apps", "packages/runtime/src/to-app.ts", "apps/worker/src/index.ts"],
  [
    "store-testing-only-in-tests",
    "packages/runtime/src/store-fixture.ts",
    "packages/store/src/testing/fixtures.ts",
  ],
  ["sdk-standalone", "packages/sdk/src/to-runtime.ts", "packages/runtime/src/index.ts"],
  ["no-package-internals", "apps/api/src/store-internal.ts", "packages/store/src/keys.ts"],
  ["not-to-unresolvable", "apps/api/src/store-subpath.ts", "@leash/store/src/keys.js"],
  ["apps-not-to-other-apps", "apps/api/src/to-worker.ts", "apps/worker/src/index.ts"],
].map(([rule, from, to]) => `${rule}: ${from} -> ${to}`);

let workspace: string;

function write(path: string, text: string): void {
  const file = join(workspace, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Runs the checker the way `pnpm lint` does (its default "err" report and exit status). */
function cruise(): Promise<{ code: number; report: string }> {
  return new Promise((done, fail) => {
    execFile(
      DEPCRUISE,
      ["--config", join(ROOT, ".dependency-cruiser.cjs"), "apps", "packages"],
      { cwd: workspace, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error && typeof error.code !== "number") return fail(error);
        done({ code: typeof error?.code === "number" ? error.code : 0, report: stdout });
      },
    );
  });
}

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), "leash-depcruise-"));
  write(
    "tsconfig.json",
    JSON.stringify({
      compilerOptions: { module: "ESNext", moduleResolution: "Bundler", customConditions: ["leash-source"] },
    }),
  );
  for (const name of PACKAGES) {
    const exports: Record<string, { "leash-source": string }> = { ".": { "leash-source": "./src/index.ts" } };
    if (name === "core") exports["./resource"] = { "leash-source": "./src/resource.ts" };
    if (name === "store") exports["./testing"] = { "leash-source": "./src/testing/fixtures.ts" };
    write(
      `packages/${name}/package.json`,
      JSON.stringify({ name: `@leash/${name}`, type: "module", exports }),
    );
    mkdirSync(join(workspace, "node_modules/@leash"), { recursive: true });
    symlinkSync(join(workspace, "packages", name), join(workspace, "node_modules/@leash", name), "dir");
  }
  for (const lib of ["ioredis", "zod"]) {
    write(`node_modules/${lib}/package.json`, JSON.stringify({ name: lib, main: "index.js" }));
    write(`node_modules/${lib}/index.js`, "module.exports = {};\n");
  }
  for (const [path, text] of Object.entries(FILES)) write(path, text);
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

describe("dependency rules", () => {
  it("fail lint for each layering break, and only for those", { timeout: 60_000 }, async () => {
    const { code, report } = await cruise();
    const found = [...report.matchAll(/^\s*error ([\w-]+): (\S+) → (\S+)$/gm)].map(
      ([, rule, from, to]) => `${rule}: ${from} -> ${to}`,
    );
    expect(found.sort()).toEqual([...EXPECTED].sort());
    expect(code).toBe(EXPECTED.length);
  });
});
