import { describe, expect, it } from "vitest";
import { decodeOnce, encodeStrict, escapesSeparator, parseQuery } from "./decode.js";

describe("percent-decoding exactly once", () => {
  it("decodes escapes to UTF-8 and leaves everything else, + included", () => {
    expect(decodeOnce("docs/a%20b.md")).toEqual({ ok: true, value: "docs/a b.md" });
    expect(decodeOnce("caf%C3%A9+x")).toEqual({ ok: true, value: "café+x" });
    expect(decodeOnce("plain/path")).toEqual({ ok: true, value: "plain/path" });
  });

  it("decodes a double encoding only once: %252e stays %2e, which the resource grammar then refuses", () => {
    expect(decodeOnce("a/%252e%252e/b")).toEqual({ ok: true, value: "a/%2e%2e/b" });
  });

  it("refuses malformed escapes", () => {
    for (const raw of ["a%", "a%2", "a%zz", "%G0"]) {
      expect(decodeOnce(raw)).toEqual({ ok: false, problem: "malformed_escape" });
    }
  });

  it("refuses invalid UTF-8: overlong dots and slashes, lone continuation bytes, surrogates, truncation", () => {
    for (const raw of ["%C0%AE%C0%AE", "%C0%AF", "%E0%80%AE", "%80", "%ED%A0%80", "%C3", "%F8%88%80%80%80"]) {
      expect(decodeOnce(raw)).toEqual({ ok: false, problem: "invalid_utf8" });
    }
  });

  it("keeps a leading byte-order mark for the grammar to refuse", () => {
    expect(decodeOnce("%EF%BB%BFdocs")).toEqual({ ok: true, value: "\uFEFFdocs" });
  });

  it("spots escaped separators in any case", () => {
    expect(escapesSeparator("a%2Fb")).toBe(true);
    expect(escapesSeparator("a%2fb")).toBe(true);
    expect(escapesSeparator("a%5cb")).toBe(true);
    expect(escapesSeparator("a%252fb")).toBe(false);
    expect(escapesSeparator("a/b")).toBe(false);
  });
});

describe("query parameters", () => {
  it("splits at the first = and decodes each side once", () => {
    expect(parseQuery("list-type=2&prefix=docs%2Fa&flag&x=a=b")).toEqual([
      { name: "list-type", value: "2", raw: "list-type=2" },
      { name: "prefix", value: "docs/a", raw: "prefix=docs%2Fa" },
      { name: "flag", value: "", raw: "flag" },
      { name: "x", value: "a=b", raw: "x=a=b" },
    ]);
    expect(parseQuery("a=%zz")).toBeUndefined();
  });

  it("encodes strictly for SigV4", () => {
    expect(encodeStrict("a b/c!*'()~")).toBe("a%20b%2Fc%21%2A%27%28%29~");
  });
});
