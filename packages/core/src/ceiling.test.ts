import { describe, expect, it } from "vitest";
import { ceilingWithin, intentWithinCeiling } from "./ceiling.js";

describe("least privilege: a request must fall inside the task's ceiling", () => {
  const ceiling = [
    { action: "read", resource: "docs/*" },
    { action: "write", resource: "reports/q3.md", tool: "editor" },
    { action: "read", resource: "hr/*", sensitivity: "internal" as const },
  ];

  it("accepts an exact or prefix match on the same action", () => {
    expect(intentWithinCeiling({ action: "read", resource: "docs/a/b.md" }, ceiling)).toBe(true);
    expect(intentWithinCeiling({ action: "write", resource: "reports/q3.md", tool: "editor" }, ceiling)).toBe(
      true,
    );
  });

  it("refuses another action, a resource outside the prefix, or another pinned tool", () => {
    expect(intentWithinCeiling({ action: "write", resource: "docs/a.md" }, ceiling)).toBe(false);
    expect(intentWithinCeiling({ action: "read", resource: "doc" }, ceiling)).toBe(false);
    expect(intentWithinCeiling({ action: "write", resource: "reports/q3.md", tool: "shell" }, ceiling)).toBe(
      false,
    );
    expect(intentWithinCeiling({ action: "write", resource: "reports/q3.md" }, ceiling)).toBe(false);
  });

  it("refuses a sensitivity above the entry's", () => {
    expect(intentWithinCeiling({ action: "read", resource: "hr/x", sensitivity: "internal" }, ceiling)).toBe(
      true,
    );
    expect(
      intentWithinCeiling({ action: "read", resource: "hr/x", sensitivity: "restricted" }, ceiling),
    ).toBe(false);
  });

  it("a delegated ceiling may narrow its parent but never widen it", () => {
    expect(ceilingWithin([{ action: "read", resource: "docs/public/*" }], ceiling)).toBe(true);
    expect(ceilingWithin([{ action: "read", resource: "docs/x.md" }], ceiling)).toBe(true);
    expect(ceilingWithin([{ action: "read", resource: "*" }], ceiling)).toBe(false);
    expect(ceilingWithin([{ action: "read", resource: "doc*" }], ceiling)).toBe(false);
    expect(ceilingWithin([{ action: "write", resource: "reports/*" }], ceiling)).toBe(false);
  });

  it("a delegated entry keeps the parent's sensitivity cap: leaving it out would admit any sensitivity", () => {
    expect(ceilingWithin([{ action: "read", resource: "hr/*", sensitivity: "internal" }], ceiling)).toBe(
      true,
    );
    expect(ceilingWithin([{ action: "read", resource: "hr/x", sensitivity: "public" }], ceiling)).toBe(true);
    expect(ceilingWithin([{ action: "read", resource: "hr/*" }], ceiling)).toBe(false);
    expect(ceilingWithin([{ action: "read", resource: "hr/x" }], ceiling)).toBe(false);
    // An uncapped parent entry still admits an uncapped child.
    expect(ceilingWithin([{ action: "read", resource: "docs/a/*" }], ceiling)).toBe(true);
  });
});
