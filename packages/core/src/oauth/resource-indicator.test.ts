import { describe, expect, it } from "vitest";
import { resourceIndicatorProblem } from "./resource-indicator.js";

const NOT_NORMAL =
  "must be written in normal form (lower-case host, no default port, no dot segment, no needless percent-encoding, no empty query)";

/** RFC 8707 §2: the resource is used verbatim as `aud`, so only unambiguous absolute https URIs pass. */
describe("resource indicators", () => {
  it.each([
    "https://api.example.com/mcp",
    "https://api.example.com",
    "https://api.example.com:8443/v1/?tenant=a",
    "http://127.0.0.1:8080/mcp",
    "http://localhost:3000/",
    "http://[::1]:9/x",
    "https://api.example.com/",
    "https://api.example.com/a%2Fb",
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

  // The same resource spelt two ways would be two audiences, and policies and quotas that name one would not
  // see the other: a spelling the URL parser rewrites, or RFC 3986 §6.2.2 would normalise, is refused.
  it.each([
    "https://API.example.com/mcp",
    "https://api.example.com:443/mcp",
    "http://127.0.0.1:80/mcp",
    "https://api.example.com/./mcp",
    "https://api.example.com/x/../mcp",
    "https://api.example.com/%2e/mcp",
    "https://api.example.com/%2E%2E/mcp",
    "https://api.example.com/%6Dcp",
    "https://api.example.com/%7E",
    "https://api.example.com/a%2fb",
    "https://api.example.com/mcp?",
    "https://api.example.com?x=1",
    "https://api.example.com./mcp",
    "http://127.1/mcp",
    "http://0x7f.0.0.1/mcp",
    "https://[0:0:0:0:0:0:0:1]/mcp",
    "https://api%2Eexample.com/mcp",
  ])("refuses %j, a resource spelt another way", (value) => {
    expect(resourceIndicatorProblem(value)).toBe(NOT_NORMAL);
  });
});
