import { describe, expect, it } from "vitest";
import { decodeHeaderValue, nameOf, paramHeaders, paramMismatch } from "./headers.js";

describe("decodeHeaderValue", () => {
  it("reads plain ASCII and the Base64 sentinel form", () => {
    expect(decodeHeaderValue("us-west1")).toBe("us-west1");
    expect(decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?=")).toBe("Hello, 世界");
  });

  it("refuses control characters and sentinels that are not UTF-8", () => {
    expect(decodeHeaderValue("a\u0000b")).toBeUndefined();
    expect(decodeHeaderValue("=?base64?/w==?=")).toBeUndefined();
  });
});

describe("nameOf", () => {
  it("mirrors params.name for tools and prompts, params.uri for resources, nothing otherwise", () => {
    expect(nameOf("tools/call", { name: "t" })).toBe("t");
    expect(nameOf("resources/read", { uri: "file:///a" })).toBe("file:///a");
    expect(nameOf("tools/list", {})).toBeNull();
    expect(nameOf("tools/call", {})).toBeUndefined();
  });
});

describe("paramHeaders and paramMismatch", () => {
  const schema = {
    type: "object",
    properties: {
      region: { type: "string", "x-mcp-header": "Region" },
      nested: { type: "object", properties: { count: { type: "integer", "x-mcp-header": "Count" } } },
      query: { type: "string" },
    },
  };
  const annotated = paramHeaders(schema);

  it("finds annotations reachable through properties", () => {
    expect(annotated).toEqual([
      { name: "Region", path: ["region"] },
      { name: "Count", path: ["nested", "count"] },
    ]);
  });

  it("accepts headers that mirror the arguments, integers compared as numbers", () => {
    const headers = new Headers({ "mcp-param-region": "us-west1", "mcp-param-count": "42.0" });
    expect(paramMismatch(headers, annotated, { region: "us-west1", nested: { count: 42 } })).toBeUndefined();
  });

  it("refuses a missing header, a header without its argument and a different value", () => {
    expect(paramMismatch(new Headers(), annotated, { region: "x" })).toMatch(/Region is missing/);
    expect(paramMismatch(new Headers({ "mcp-param-region": "x" }), annotated, {})).toMatch(/not/);
    expect(paramMismatch(new Headers({ "mcp-param-region": "x" }), annotated, { region: "y" })).toMatch(
      /does not match/,
    );
  });
});
