import type { Revocation } from "@leash/sdk";
import { describe, expect, it } from "vitest";
import { paint } from "./io.js";
import { progressLine, progressView } from "./progress.js";

const campaign = (revoked: number, state: Revocation["state"] = "running", failed = 0): Revocation => ({
  id: "rv_1",
  state,
  matched: 100,
  revoked,
  failed,
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe("progressLine", () => {
  it("shows settled leases as the bar, revoked / matched, the rate and failures", () => {
    expect(progressLine(campaign(50, "running", 2), 2_000, 10)).toBe(
      "[█████░░░░░] 50/100 revoked  25/s  2 failed  2.0s",
    );
    expect(progressLine({ ...campaign(0, "done"), matched: 0 }, 0, 4)).toBe("[████] 0/0 revoked  0/s  0.0s");
  });
});

describe("progressView", () => {
  it("redraws one line in place on a terminal", () => {
    const { stream, writes } = sink(true);
    const view = progressView(stream, paint(false), () => 0);
    view.update(campaign(10));
    view.update(campaign(20));
    view.end();
    expect(writes.slice(0, 2).every((w) => w.startsWith("\r\u001b[2K"))).toBe(true);
    expect(writes.at(-1)).toBe("\n");
  });

  it("elsewhere logs plain lines only when progress moved, at most once per interval, and always the end", () => {
    const { stream, writes } = sink(false);
    let now = 0;
    const view = progressView(stream, paint(false), () => now, 1_000);
    view.update(campaign(10)); // logged: first
    now = 500;
    view.update(campaign(20)); // too soon
    now = 1_200;
    view.update(campaign(20)); // moved since the last line, interval passed
    now = 2_500;
    view.update(campaign(20)); // nothing moved
    now = 2_600;
    view.update(campaign(100, "done")); // final
    expect(writes.map((w) => w.match(/\d+\/100/)?.[0])).toEqual(["10/100", "20/100", "100/100"]);
    expect(writes.join("")).not.toContain("\u001b");
  });
});
