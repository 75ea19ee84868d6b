import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasGatewaySection } from "./gateway-section.js";

const dir = mkdtempSync(join(tmpdir(), "leash-cli-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("leash start runs a gateway only for a trust file with a gateway section", () => {
  it("finds the top-level key in JSON and YAML", () => {
    expect(hasGatewaySection(file("a.json", '{"audience":"x","gateway":{"upstreams":{}}}'))).toBe(true);
    expect(hasGatewaySection(file("b.yaml", "audience: x\ngateway:\n  upstreams: {}\n"))).toBe(true);
  });

  it("ignores the word elsewhere, and files it cannot read", () => {
    expect(hasGatewaySection(file("c.json", '{"audience":"gateway","roles":{"gateway":[]}}'))).toBe(false);
    expect(hasGatewaySection(file("d.yml", "roles:\n  gateway: []\n"))).toBe(false);
    expect(hasGatewaySection(file("e.json", "{not json"))).toBe(false);
    expect(hasGatewaySection(join(dir, "missing.json"))).toBe(false);
    expect(hasGatewaySection(undefined)).toBe(false);
  });
});
