import { describe, expect, it } from "vitest";
import { resourceIndicatorProblem } from "./resource-indicator.js";

/** RFC 8707 §2: the resource is used verbatim as `aud`, so only unambiguous absolute https URIs pass. */
describe("resource indicators", () => {
  it.each([
    "https://api.example.com/mcp",
    "https://api.example.com",
    "https://api.example.com:8443/v1/?tenant=a",
    "http://127.0.0.1:8080/mcp",
    "http://localhost:3000/",
    "http://[::1]:9/x",
  ])("accepts %s", (value) => {
    expect(resourceIndicatorProblem(value)).toBeNull();
  });

  it.each([
    ["", "must be 1 to 2048 characters"],
    [`https://a.example/${"x".repeat(2048)}`, "must be 1 to 2048 characters"],
    ["api.example.com/mcp", "must be an absolute https URI"],
    ["/mcp", "must be an absolute https URI"],
    ["urn:example:mcp", "must be an absolute https URI"],
    ["https:api.example.com", "must be an absolute https URI"],
    ["HTTPS://api.example.com", "must be an absolute https URI"],
    ["ftp://api.example.com/", "must be an absolute https URI"],
    ["http://api.example.com/mcp", "must use https (http only on loopback)"],
    ["http://127.0.0.1.evil.example/", "must use https (http only on loopback)"],
    ["https://api.example.com/mcp#frag", "must not have a fragment"],
    ["https://user:pw@api.example.com/", "must not carry credentials"],
    ["https://api.example.com/a b", "must be a URI (RFC 3986 characters only)"],
    ["https:\\\\api.example.com", "must be a URI (RFC 3986 characters only)"],
    ["https://api.example.com/\u00e9", "must be a URI (RFC 3986 characters only)"],
    ["https://api.example.com/\n", "must be a URI (RFC 3986 characters only)"],
    ["https://[zz/", "is not an absolute URI"],
  ])("refuses %j: %s", (value, problem) => {
    expect(resourceIndicatorProblem(value)).toBe(problem);
  });
});
