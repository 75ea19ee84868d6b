import { describe, expect, it } from "vitest";
import { RuntimeEnv } from "./env.js";
import { gatewayHealthUrl, gatewayPublicUrl } from "./providers.js";

const base = { LEASH_CONFIG: "c", LEASH_SIGNING_KEY_FILE: "k", REDIS_URL: "redis://h:1" };
const parse = (env: Record<string, string> = {}) => RuntimeEnv.parse({ ...base, ...env });

describe("LEASH_GATEWAY_* variables", () => {
  it("default to port 8081, a 1 s staleness bound and a public URL on HOST (0.0.0.0 shown as 127.0.0.1)", () => {
    const env = parse();
    expect(env.LEASH_GATEWAY_PORT).toBe(8081);
    expect(env.LEASH_GATEWAY_STALE_MS).toBe(1_000);
    expect(gatewayPublicUrl(env)).toBe("http://127.0.0.1:8081");
    expect(gatewayPublicUrl(parse({ HOST: "0.0.0.0", LEASH_GATEWAY_PORT: "9000" }))).toBe(
      "http://127.0.0.1:9000",
    );
    expect(gatewayPublicUrl(parse({ HOST: "gw.internal" }))).toBe("http://gw.internal:8081");
  });

  it("take a public URL as given, without its trailing slash", () => {
    expect(gatewayPublicUrl(parse({ LEASH_GATEWAY_PUBLIC_URL: "https://gw.example/base/" }))).toBe(
      "https://gw.example/base",
    );
  });

  it("probe the gateway's /healthz at its public URL unless LEASH_GATEWAY_HEALTH_URL names another address", () => {
    expect(gatewayHealthUrl(parse({ LEASH_GATEWAY_PUBLIC_URL: "https://gw.example/" }))).toBe(
      "https://gw.example/healthz",
    );
    expect(
      gatewayHealthUrl(
        parse({
          LEASH_GATEWAY_PUBLIC_URL: "https://gw.example",
          LEASH_GATEWAY_HEALTH_URL: "http://gateway:8081/healthz",
        }),
      ),
    ).toBe("http://gateway:8081/healthz");
  });

  it("refuse a port out of range, a bound under 100 ms and a URL that is not http(s)", () => {
    for (const bad of [
      { LEASH_GATEWAY_PORT: "70000" },
      { LEASH_GATEWAY_STALE_MS: "50" },
      { LEASH_GATEWAY_PUBLIC_URL: "ftp://gw" },
      { LEASH_GATEWAY_PUBLIC_URL: "gw.example" },
    ]) {
      expect(RuntimeEnv.safeParse({ ...base, ...bad }).success).toBe(false);
    }
  });
});
