import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { REPO_ROOT } from "@leash/devstack";
import { afterAll, describe, expect, inject, it } from "vitest";
import { descendants } from "../support/processes.js";
import { ORCHESTRATOR, type Stack, startStack } from "../support/stack.js";

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
});

describe("the compiled build", () => {
  it("`pnpm build` then `pnpm start` runs compiled JavaScript, without tsx, and answers /readyz", async () => {
    await promisify(execFile)("pnpm", ["build"], { cwd: REPO_ROOT, timeout: 240_000 });
    // startStack returns once /readyz answers 200.
    stack = await startStack({ redisUrl: inject("redisUrl"), compiled: true });
    const nodes = descendants(process.pid)
      .map((p) => p.args)
      .filter((args) => args.includes("/main."));
    expect(
      nodes.some((args) => args.includes("apps/cli/dist/main.js start")),
      nodes.join("\n"),
    ).toBe(true);
    expect(
      nodes.some((args) => args.includes("apps/api/dist/main.js")),
      nodes.join("\n"),
    ).toBe(true);
    expect(
      nodes.some((args) => args.includes("apps/worker/dist/main.js")),
      nodes.join("\n"),
    ).toBe(true);
    expect(nodes.filter((args) => /tsx|\.ts\b|leash-source/.test(args))).toEqual([]);
    // The Lua scripts and the providers are found by the compiled code: a task and a lease go through.
    const agent = "spiffe://dev.local/agent/compiled";
    const task = await stack.call("POST", "/v1/tasks", await stack.token(ORCHESTRATOR), {
      agent,
      ceiling: [{ action: "read", resource: "docs/*" }],
      ttl_seconds: 300,
    });
    expect(task.status, await task.clone().text()).toBe(201);
    const lease = await stack.call("POST", "/v1/leases", await stack.token(agent), {
      task_id: ((await task.json()) as { id: string }).id,
      provider: "leash-jwt",
      intent: { action: "read", resource: "docs/readme.md" },
    });
    expect(lease.status, await lease.clone().text()).toBe(201);
  }, 300_000);
});
