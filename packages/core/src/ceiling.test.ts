import { describe, expect, it } from "vitest";
import { ceilingWithin, intentWithinCeiling } from "./ceiling.js";
import { CeilingIntent, Intent } from "./intent.js";

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

  it("reads an undeclared sensitivity as restricted, as policies do: a capped entry does not cover it", () => {
    expect(intentWithinCeiling({ action: "read", resource: "hr/x" }, ceiling)).toBe(false);
    expect(intentWithinCeiling({ action: "read", resource: "docs/a.md" }, ceiling)).toBe(true);
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

describe("a ceiling cannot be escaped through the resource string (issue 10)", () => {
  const docs = [{ action: "read", resource: "docs/*" }];

  it("a request that leaves the prefix once a tool normalises it is not inside the ceiling", () => {
    for (const resource of [
      "docs/../secrets/key",
      "docs/./../secrets",
      "docs/%2e%2e/secrets/key",
      "docs/..\\secrets",
      "docs//../secrets",
      "docs/\u2024\u2024/secrets",
      "docs/\uff0e\uff0e\uff0fsecrets",
      "docs/\u200b../secrets",
    ]) {
      expect(intentWithinCeiling({ action: "read", resource }, docs), resource).toBe(false);
    }
  });

  it("a request prefix is covered only by a ceiling prefix at least as wide", () => {
    expect(intentWithinCeiling({ action: "read", resource: "docs/" }, docs)).toBe(true);
    expect(intentWithinCeiling({ action: "read", resource: "docs/a/" }, docs)).toBe(true);
    expect(intentWithinCeiling({ action: "read", resource: "doc/" }, docs)).toBe(false);
    expect(
      intentWithinCeiling({ action: "read", resource: "docs/a/" }, [{ action: "read", resource: "docs/a" }]),
    ).toBe(false);
  });

  it("a stored ceiling entry that is not canonical covers nothing (fail closed)", () => {
    const legacy = [{ action: "read", resource: "docs/../*" }];
    expect(intentWithinCeiling({ action: "read", resource: "docs/../x" }, legacy)).toBe(false);
    expect(ceilingWithin([{ action: "read", resource: "docs/../x/*" }], docs)).toBe(false);
  });

  it("the intent schemas refuse non-canonical resources in requests and ceilings", () => {
    expect(Intent.safeParse({ action: "read", resource: "docs/../secrets/key" }).success).toBe(false);
    expect(CeilingIntent.safeParse({ action: "read", resource: "docs/../*" }).success).toBe(false);
    expect(Intent.safeParse({ action: "read", resource: "docs/a.md" }).success).toBe(true);
    expect(CeilingIntent.safeParse({ action: "read", resource: "docs/*" }).success).toBe(true);
  });
});
