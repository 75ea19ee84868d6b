import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolicyLoadError } from "./load-error.js";
import { OffThreadLoader } from "./off-thread.js";
import { EXAMPLES_DIR } from "./test-support.js";

const loaders: OffThreadLoader[] = [];
afterEach(async () => {
  await Promise.all(loaders.splice(0).map((l) => l.close()));
});

describe("OffThreadLoader", () => {
  it("compiles on its thread the set the process would compile, while the event loop keeps turning", async () => {
    const loader = new OffThreadLoader();
    loaders.push(loader);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const set = await loader.load(EXAMPLES_DIR);
    clearInterval(ticker);
    expect(set.policies.size).toBeGreaterThan(3);
    expect([...set.policies.values()][0]?.usage.names).toBeInstanceOf(Set);
    expect(loader.onThread).toBe(true);
    expect(ticks).toBeGreaterThan(5);
  });

  it("rejects with the problems of a set that does not load, as loading in the process would", async () => {
    const loader = new OffThreadLoader();
    loaders.push(loader);
    const dir = mkdtempSync(join(tmpdir(), "leash-off-thread-"));
    copyFileSync(join(EXAMPLES_DIR, "schema.cedarschema"), join(dir, "schema.cedarschema"));
    writeFileSync(join(dir, "bad.cedar"), "permit (principal, action, resource) when { nonsense");
    const error = await loader.load(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as PolicyLoadError).problems[0]?.file).toContain("bad.cedar");
  });
});
