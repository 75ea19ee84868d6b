import { describe, expect, it } from "vitest";
import { RuntimeEnv } from "./env.js";

const base = { LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k", REDIS_URL: "redis://h:1" };
const parse = (env: Record<string, string> = {}) => RuntimeEnv.safeParse({ ...base, ...env });

describe("LEASH_MCP_ALLOWED_ORIGINS", () => {
  it("is empty by default and reads comma-separated origins", () => {
    expect(parse().data?.LEASH_MCP_ALLOWED_ORIGINS).toEqual([]);
    expect(
      parse({ LEASH_MCP_ALLOWED_ORIGINS: "https://console.example, http://127.0.0.1:5173" }).data
        ?.LEASH_MCP_ALLOWED_ORIGINS,
    ).toEqual(["https://console.example", "http://127.0.0.1:5173"]);
  });

  it("refuses anything that is not an origin: a path, a trailing slash, another scheme", () => {
    for (const value of ["https://console.example/app", "https://console.example/", "ftp://x.example", "*"]) {
      expect(parse({ LEASH_MCP_ALLOWED_ORIGINS: value }).success, value).toBe(false);
    }
  });
});

describe("LEASH_PUBLIC_URL", () => {
  it("accepts a URL in normal form, with or without a path or a trailing slash", () => {
    for (const value of [
      "https://leash.example",
      "https://leash.example/",
      "http://127.0.0.1:8080",
      "https://h/p",
    ])
      expect(parse({ LEASH_PUBLIC_URL: value }).success, value).toBe(true);
  });

  // It is the tokens' `iss` and the prefix of /mcp's resource, which the token endpoint takes only in normal form.
  it("refuses a URL the parser would write another way", () => {
    for (const value of [
      "https://Leash.example",
      "https://leash.example:443",
      "https://leash.example/a/../p",
    ])
      expect(parse({ LEASH_PUBLIC_URL: value }).success, value).toBe(false);
  });
});
