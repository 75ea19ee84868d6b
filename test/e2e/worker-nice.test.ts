import { readFileSync } from "node:fs";
import { waitFor } from "@leash/devstack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ redisUrl: inject("redisUrl"), separate: true, env: { LEASH_WORKER_NICE: "7" } });
}, 60_000);
afterAll(() => stack?.stop());

/** The nice value of a thread, from /proc (field 19 of stat, after the parenthesised command name). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

describe("LEASH_WORKER_NICE", () => {
  it("runs the worker's JavaScript at the nice value given", async () => {
    const worker = stack.worker?.child.pid;
    expect(worker).toBeGreaterThan(0);
    await waitFor(async () => (niceOf(worker as number) === 7 ? true : undefined), {
      timeoutMs: 20_000,
      what: "the worker at nice 7",
    });
  });
});
