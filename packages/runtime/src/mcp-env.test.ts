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
