import { describe, expect, it } from "vitest";
import { GatewayConfig, type GatewayConfigInput, type GatewayUpstream, methodsFor } from "./config.js";

const secret = { vault_kv: "secret/github", key: "token" };
const github = {
  url: "https://api.github.com/",
  auth: { type: "header" as const, name: "Authorization", format: "Bearer {secret}", secret },
};
const s3 = {
  url: "http://127.0.0.1:4566/leash-docs",
  auth: { type: "aws-sigv4", target: "docs-reader", service: "s3", region: "eu-west-1" },
};

/** The issues of an invalid section as `path: message` lines, the way start-up reports them. */
function problems(input: unknown): string[] {
  const parsed = GatewayConfig.safeParse(input);
  if (parsed.success) throw new Error("expected the section to be refused");
  return parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const upstream = (raw: unknown): GatewayUpstream => {
  const config = GatewayConfig.parse({ upstreams: { u: raw } });
  const parsed = config.upstreams.u;
  if (!parsed) throw new Error("no upstream");
  return parsed;
};

describe("the gateway section of the trust file", () => {
  it("applies defaults: format {secret}, header names lower-cased, no trailing slash on url", () => {
    const config = GatewayConfig.parse({
      upstreams: {
        github,
        api: { url: "http://localhost:9000/v1/", auth: { type: "header", name: "X-Api-Key", secret } },
      },
    } satisfies GatewayConfigInput);
    expect(config.upstreams.github?.url).toBe("https://api.github.com");
    expect(config.upstreams.github?.auth).toMatchObject({ name: "authorization", format: "Bearer {secret}" });
    expect(config.upstreams.api).toMatchObject({
      url: "http://localhost:9000/v1",
      auth: { name: "x-api-key", format: "{secret}" },
    });
  });

  it("takes all four auth types and an optional vault identity shaped like providers.vault", () => {
    const config = GatewayConfig.parse({
      upstreams: {
        github,
        maps: { url: "https://maps.example", auth: { type: "query", name: "key", secret } },
        s3,
        vault: { url: "https://vault.internal:8200", auth: { type: "vault-token", target: "kv-reader" } },
      },
      vault: {
        address: "https://vault.internal:8200",
        auth: { method: "token", token_env: "GW_VAULT_TOKEN" },
      },
    });
    expect(Object.keys(config.upstreams)).toEqual(["github", "maps", "s3", "vault"]);
    expect(config.vault?.request_timeout_ms).toBe(5_000);
  });

  it("refuses upstream names outside [a-z0-9][a-z0-9-]{0,62}, naming the upstream", () => {
    for (const name of ["GitHub", "-x", "a_b", "a".repeat(64), "", "a/b"]) {
      expect(problems({ upstreams: { [name]: github } })).toContain(
        `upstreams.${name}: upstream names match [a-z0-9][a-z0-9-]{0,62}`,
      );
    }
    expect(GatewayConfig.safeParse({ upstreams: { ["a".repeat(63)]: github, "0-x": github } }).success).toBe(
      true,
    );
  });

  it("refuses an empty section and unknown keys", () => {
    expect(problems({ upstreams: {} })).toEqual(["upstreams: configure at least one upstream"]);
    expect(problems({ upstreams: { github }, extra: 1 })).toEqual([': Unrecognized key: "extra"']);
    expect(problems({ upstreams: { github: { ...github, timeout: 1 } } })).toEqual([
      'upstreams.github: Unrecognized key: "timeout"',
    ]);
  });

  it("says which key of an invalid auth is wrong", () => {
    const auth = (a: unknown) => problems({ upstreams: { github: { ...github, auth: a } } });
    expect(auth({ type: "basic", secret })).toEqual([
      "upstreams.github.auth.type: Invalid discriminator value. Expected 'header' | 'query' | 'aws-sigv4' | 'vault-token'",
    ]);
    expect(auth({ name: "authorization", secret })[0]).toMatch(/^upstreams\.github\.auth\.type: /);
    expect(auth({ type: "header", name: "authorization" })).toEqual([
      "upstreams.github.auth.secret: Invalid input: expected object, received undefined",
    ]);
    expect(auth({ type: "header", name: "authorization", format: "Bearer", secret })).toEqual([
      "upstreams.github.auth.format: must contain {secret} exactly once",
    ]);
    expect(auth({ type: "header", name: "x", format: "{secret}\r\nx-evil: 1", secret })).toEqual([
      "upstreams.github.auth.format: printable ASCII only (no CR, LF or NUL)",
    ]);
    expect(auth({ type: "header", name: "bad name", secret })).toEqual([
      "upstreams.github.auth.name: an HTTP header name",
    ]);
    for (const name of ["Host", "content-length", "X-Forwarded-For", "cookie"]) {
      expect(auth({ type: "header", name, secret })).toEqual([
        "upstreams.github.auth.name: a header the gateway controls",
      ]);
    }
    expect(auth({ type: "header", name: "x", secret: { vault_kv: "github", key: "t" } })).toEqual([
      "upstreams.github.auth.secret.vault_kv: <mount>/<path>, e.g. secret/github (never with data/)",
    ]);
    expect(auth({ type: "header", name: "x", secret: { vault_kv: "secret/../x", key: "t" } })).toEqual([
      "upstreams.github.auth.secret.vault_kv: no '.' or '..' segment",
    ]);
    expect(auth({ type: "header", name: "x", secret: { ...secret, inline: "s3cr3t" } })).toEqual([
      'upstreams.github.auth.secret: Unrecognized key: "inline"',
    ]);
    expect(auth({ type: "query", name: "a&b", secret })).toEqual([
      "upstreams.github.auth.name: a query parameter name (letters, digits, _ . ~ -)",
    ]);
    expect(auth({ type: "aws-sigv4", target: "docs-reader", region: "eu-west-1" })).toEqual([
      "upstreams.github.auth.service: Invalid input: expected string, received undefined",
    ]);
    expect(auth({ type: "vault-token" })).toEqual([
      "upstreams.github.auth.target: Invalid input: expected string, received undefined",
    ]);
  });

  it("takes an origin with a base path only: https unless on loopback, no query, credentials or dot segments", () => {
    const url = (u: string) => problems({ upstreams: { github: { ...github, url: u } } });
    expect(url("http://api.github.com")).toEqual([
      "upstreams.github.url: an upstream URL needs https (http only on loopback)",
    ]);
    expect(url("https://user:pw@api.github.com")).toEqual([
      "upstreams.github.url: an upstream URL needs no credentials in the URL",
    ]);
    expect(url("https://api.github.com/?a=1")).toEqual([
      "upstreams.github.url: an upstream URL needs no query or fragment",
    ]);
    for (const bad of ["https://h/a//b", "https://h/a/%2e%2e/b", "https://h/a/%41"]) {
      expect(url(bad)[0]).toMatch(/^upstreams\.github\.url: an upstream URL needs a canonical base path/);
    }
    expect(url("ftp://h")[0]).toMatch(/^upstreams\.github\.url: /);
    for (const ok of ["http://127.0.0.1:8200", "http://[::1]:1/x", "https://h.example/base/path/"]) {
      expect(GatewayConfig.safeParse({ upstreams: { github: { ...github, url: ok } } }).success).toBe(true);
    }
  });

  it("refuses unknown methods and malformed action names in `methods`, naming them", () => {
    const methods = (m: unknown) => problems({ upstreams: { github: { ...github, methods: m } } });
    expect(methods({ read: ["CONNECT"] })[0]).toMatch(/^upstreams\.github\.methods\.read\.0: /);
    expect(methods({ read: ["get"] })[0]).toMatch(/^upstreams\.github\.methods\.read\.0: /);
    expect(methods({ "re ad": ["GET"] })).toEqual([
      "upstreams.github.methods.re ad: actions are 1-128 of letters, digits, _ . : -",
    ]);
  });
});

describe("methodsFor", () => {
  it("defaults: read -> GET, HEAD; write -> POST, PUT, PATCH; delete -> DELETE; anything else none", () => {
    const u = upstream(github);
    expect(methodsFor(u, "read")).toEqual(["GET", "HEAD"]);
    expect(methodsFor(u, "write")).toEqual(["POST", "PUT", "PATCH"]);
    expect(methodsFor(u, "delete")).toEqual(["DELETE"]);
    for (const a of ["list", "admin", "constructor", "__proto__", "toString"])
      expect(methodsFor(u, a)).toEqual([]);
  });

  it("an S3 upstream also lists (GET); other SigV4 services do not", () => {
    expect(methodsFor(upstream(s3), "list")).toEqual(["GET"]);
    expect(methodsFor(upstream(s3), "read")).toEqual(["GET", "HEAD"]);
    const api = upstream({ ...s3, auth: { ...s3.auth, service: "execute-api" } });
    expect(methodsFor(api, "list")).toEqual([]);
  });

  it("an upstream's own methods replace the default of that action only; [] disables it", () => {
    const u = upstream({ ...github, methods: { read: ["GET"], search: ["POST"], delete: [] } });
    expect(methodsFor(u, "read")).toEqual(["GET"]);
    expect(methodsFor(u, "search")).toEqual(["POST"]);
    expect(methodsFor(u, "delete")).toEqual([]);
    expect(methodsFor(u, "write")).toEqual(["POST", "PUT", "PATCH"]);
  });
});
