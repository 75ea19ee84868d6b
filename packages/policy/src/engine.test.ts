import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createPolicyEngine, type PolicyEngine } from "./engine.js";
import { PolicyLoadError } from "./load-error.js";
import { policyDir, request } from "./test-support.js";

const permitRead = `@id("permit-read")\npermit (principal, action == Leash::Action::"read", resource);\n`;
const permitList = `@id("permit-list")\npermit (principal, action == Leash::Action::"list", resource);\n`;
const broken = `@id("broken")\npermit (principal, action, resource)\nwhen { context.no_such_attribute };\n`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function engineOver(files: Record<string, string>, extra: { onReloadError?: (e: Error) => void } = {}) {
  const { dir, remove } = await policyDir(files);
  cleanups.push(remove);
  const engine = await createPolicyEngine({ dir, debounceMs: 20, ...extra });
  cleanups.push(() => engine.close());
  return { dir, engine };
}

const readAllowed = (engine: PolicyEngine) => engine.decide(request({ intent: { action: "read" } })).allowed;
const listAllowed = (engine: PolicyEngine) => engine.decide(request({ intent: { action: "list" } })).allowed;

describe("createPolicyEngine: load once, reload atomically, keep the old set on a bad reload", () => {
  it("refuses to start on an invalid set (fail closed: no policy, no credential)", async () => {
    const { dir, remove } = await policyDir({ "a.cedar": broken });
    cleanups.push(remove);
    await expect(createPolicyEngine({ dir })).rejects.toBeInstanceOf(PolicyLoadError);
  });

  it("swaps in a valid new set on reload", async () => {
    const onReload = vi.fn();
    const { dir, remove } = await policyDir({ "a.cedar": permitRead });
    cleanups.push(remove);
    const engine = await createPolicyEngine({ dir, onReload });
    expect([readAllowed(engine), listAllowed(engine)]).toEqual([true, false]);

    await writeFile(join(dir, "a.cedar"), permitList);
    expect(await engine.reload()).toEqual({ ok: true, policies: 1 });
    expect([readAllowed(engine), listAllowed(engine)]).toEqual([false, true]);
    expect(onReload).toHaveBeenCalledOnce();
    expect(engine.stats).toMatchObject({ reloads: 1, reloadErrors: 0, policies: 1 });
  });

  it("keeps the old set when the new one does not validate, reporting and counting the error", async () => {
    const onReloadError = vi.fn();
    const { dir, engine } = await engineOver({ "a.cedar": permitRead }, { onReloadError });
    await writeFile(join(dir, "b.cedar"), broken);

    const result = await engine.reload();
    expect(result.ok).toBe(false);
    expect(onReloadError).toHaveBeenCalledWith(expect.any(PolicyLoadError));
    const error = onReloadError.mock.calls[0]?.[0] as PolicyLoadError;
    expect(error.file).toMatch(/b\.cedar$/);
    expect(error.line).toBe(3);
    expect(readAllowed(engine)).toBe(true);
    expect(engine.stats).toMatchObject({ reloads: 0, reloadErrors: 1, policies: 1 });
    expect(engine.stats.lastReloadError).toMatch(/b\.cedar:3/);
  });

  it("watch() reloads after a policy file changes", async () => {
    const { dir, engine } = await engineOver({ "a.cedar": permitRead });
    engine.watch();
    engine.watch();
    await writeFile(join(dir, "b.cedar"), permitList);
    await vi.waitFor(() => expect(listAllowed(engine)).toBe(true), { timeout: 10_000, interval: 20 });
    expect(readAllowed(engine)).toBe(true);
  });

  it("watch() keeps the old set and reports when the changed files are invalid", async () => {
    const onReloadError = vi.fn();
    const { dir, engine } = await engineOver({ "a.cedar": permitRead }, { onReloadError });
    engine.watch();
    await writeFile(join(dir, "a.cedar"), broken);
    await vi.waitFor(() => expect(onReloadError).toHaveBeenCalled(), { timeout: 10_000, interval: 20 });
    expect(readAllowed(engine)).toBe(true);
    expect(engine.stats.reloadErrors).toBeGreaterThanOrEqual(1);
  });

  it("counts decisions in stats", async () => {
    const { engine } = await engineOver({ "a.cedar": permitRead });
    readAllowed(engine);
    listAllowed(engine);
    expect(engine.stats).toMatchObject({ decisions: 2, allowed: 1, denied: 1, errored: 0 });
  });
});
