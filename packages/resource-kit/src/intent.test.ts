import { describe, expect, it } from "vitest";
import { allows, scopeOf } from "./intent.js";

const grant = (action: string, resource: string) => ({ intent: { action, resource } });

describe("allows", () => {
  it("admits the granted resource and, for a prefix, what lies under it", () => {
    expect(allows(grant("read", "docs/a.md"), { action: "read", resource: "docs/a.md" })).toBe(true);
    expect(allows(grant("read", "docs/"), { action: "read", resource: "docs/sub/a.md" })).toBe(true);
  });

  it("refuses another action, a sibling, a wider resource and a token without an intent", () => {
    expect(allows(grant("read", "docs/a.md"), { action: "write", resource: "docs/a.md" })).toBe(false);
    expect(allows(grant("read", "docs/a.md"), { action: "read", resource: "docs/b.md" })).toBe(false);
    expect(allows(grant("read", "docs/a"), { action: "read", resource: "docs/a.md" })).toBe(false);
    expect(allows(grant("read", "docs/a/"), { action: "read", resource: "docs/" })).toBe(false);
    expect(allows({ intent: null }, { action: "read", resource: "docs/a.md" })).toBe(false);
  });

  it("refuses a needed resource that is not canonical, even when it starts with the granted prefix", () => {
    for (const resource of ["docs/../secrets/key", "docs//a", "docs/%2e%2e/a", "docs/\u2024\u2024/a"]) {
      expect(allows(grant("read", "docs/"), { action: "read", resource }), resource).toBe(false);
    }
  });

  it("names the needed scope as action:resource", () => {
    expect(scopeOf({ action: "read", resource: "docs/a.md" })).toBe("read:docs/a.md");
  });
});
