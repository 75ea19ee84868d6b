import { describe, expect, it } from "vitest";
import { intentWithinCeiling } from "./ceiling.js";
import { effectiveCeiling, intersectCeilings, withinEffectiveCeiling } from "./effective-ceiling.js";
import type { CeilingIntent, Intent } from "./intent.js";

const read = (resource: string, extra: Partial<CeilingIntent> = {}): CeilingIntent => ({
  action: "read",
  resource,
  ...extra,
});

describe("a task's effective ceiling is its own intersected with every ancestor's", () => {
  it("keeps the narrower of two nested resources, and nothing of disjoint ones", () => {
    expect(intersectCeilings([read("docs/*")], [read("docs/a/*")])).toEqual([read("docs/a/*")]);
    expect(intersectCeilings([read("docs/a/*")], [read("docs/*")])).toEqual([read("docs/a/*")]);
    expect(intersectCeilings([read("docs/*")], [read("docs/x.md")])).toEqual([read("docs/x.md")]);
    expect(intersectCeilings([read("docs/*")], [read("reports/*")])).toEqual([]);
    expect(intersectCeilings([read("docs/*")], [{ action: "write", resource: "docs/*" }])).toEqual([]);
  });

  it("pins a tool or destination either side pins, and refuses two different pins", () => {
    expect(intersectCeilings([read("docs/*", { tool: "t" })], [read("docs/*")])).toEqual([
      read("docs/*", { tool: "t" }),
    ]);
    expect(intersectCeilings([read("docs/*", { tool: "t" })], [read("docs/*", { tool: "u" })])).toEqual([]);
    expect(
      intersectCeilings([read("docs/*", { destination: "eu" })], [read("docs/*", { destination: "us" })]),
    ).toEqual([]);
  });

  it("caps sensitivity at the lower of the two", () => {
    expect(
      intersectCeilings(
        [read("docs/*", { sensitivity: "confidential" })],
        [read("docs/*", { sensitivity: "internal" })],
      ),
    ).toEqual([read("docs/*", { sensitivity: "internal" })]);
    expect(intersectCeilings([read("docs/*")], [read("docs/*", { sensitivity: "public" })])).toEqual([
      read("docs/*", { sensitivity: "public" }),
    ]);
  });

  it("drops entries another entry of the result already covers", () => {
    const own = [read("docs/*"), read("docs/a/*")];
    expect(intersectCeilings(own, [read("docs/*")])).toEqual([read("docs/*")]);
  });

  it("with no ancestors is the task's own ceiling", () => {
    expect(effectiveCeiling([read("docs/*")], [])).toEqual([read("docs/*")]);
  });

  it("admits exactly the requests every level admits", () => {
    const own = [read("docs/*"), read("hr/*", { sensitivity: "confidential" }), read("x/y", { tool: "t" })];
    const parent = [read("docs/a/*"), read("hr/*", { sensitivity: "internal" }), read("x/*")];
    const grandparent = [read("*")];
    const requests: Intent[] = [
      { action: "read", resource: "docs/a/1" },
      { action: "read", resource: "docs/b/1" },
      { action: "read", resource: "docs/a/" },
      { action: "read", resource: "hr/p", sensitivity: "internal" },
      { action: "read", resource: "hr/p", sensitivity: "confidential" },
      { action: "read", resource: "x/y", tool: "t" },
      { action: "read", resource: "x/y" },
      { action: "write", resource: "docs/a/1" },
    ];
    const effective = effectiveCeiling(own, [parent, grandparent]);
    for (const r of requests) {
      const everyLevel = [own, parent, grandparent].every((c) => intentWithinCeiling(r, c));
      expect(intentWithinCeiling(r, effective), JSON.stringify(r)).toBe(everyLevel);
      expect(withinEffectiveCeiling(r, own, [parent, grandparent]), JSON.stringify(r)).toBe(everyLevel);
    }
  });
});
