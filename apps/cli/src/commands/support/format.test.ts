import { describe, expect, it } from "vitest";
import { duration, expiresIn, sinceCursor, table } from "./format.js";
import { paint } from "./io.js";

describe("table", () => {
  it("aligns columns by visible width, ignoring colour codes, with no trailing blanks", () => {
    const p = paint(true);
    const out = table(
      ["ID", "STATE", "X"],
      [
        ["a", p.green("active"), ""],
        ["long-id", "revoked", "1"],
      ],
    );
    const lines = out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "").split("\n");
    expect(lines).toEqual(["ID       STATE    X", "a        active", "long-id  revoked  1", ""]);
  });
});

describe("duration / expiresIn", () => {
  it("reads like a person would say it", () => {
    expect(duration(400)).toBe("0.4s");
    expect(duration(12_000)).toBe("12s");
    expect(duration(245_000)).toBe("4m 05s");
    expect(duration(3_720_000)).toBe("1h 02m");
    expect(duration(3 * 86_400_000 + 3_600_000)).toBe("3d 1h");
    expect(expiresIn("2026-01-01T00:05:00Z", Date.parse("2026-01-01T00:00:00Z"))).toBe("5m 00s");
    expect(expiresIn("2026-01-01T00:00:00Z", Date.parse("2026-01-01T00:00:30Z"))).toBe("30s ago");
  });
});

describe("sinceCursor", () => {
  const now = Date.parse("2026-01-01T01:00:00Z");
  it("turns an event id, a duration or a time into an exclusive stream id", () => {
    expect(sinceCursor(undefined, now)).toBeUndefined();
    expect(sinceCursor("1767225600000-3", now)).toBe("1767225600000-3");
    expect(sinceCursor("15m", now)).toBe(`${now - 15 * 60_000}-0`);
    expect(sinceCursor("2026-01-01T00:00:00Z", now)).toBe(`${Date.parse("2026-01-01T00:00:00Z")}-0`);
  });
  it("refuses anything else as a usage error", () => {
    expect(() => sinceCursor("yesterday", now)).toThrow(/--since must be/);
  });
});
